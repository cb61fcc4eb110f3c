//! `cargo run -p lesson1`: connect, `SELECT 1`, show where we arrived, close.

fn main() -> anyhow::Result<()> {
    let config = shared::Config::from_env()?;
    // Nothing answers on this machine? Then this starts the course's own server first, as
    // `cargo run -p db -- up` does, and says so.
    shared::start_server_if_needed(&config)?;
    println!(
        "Connecting to {}@{}/{} ...",
        config.user,
        config.address(),
        config.database
    );

    let reply = lesson1::select_one(&config)?;

    println!("SELECT 1 -> ({},)", reply.one);
    println!("server   : {}", reply.server_version);
    println!("user     : {}", reply.user);
    println!(
        "database : {}",
        reply.database.as_deref().unwrap_or("(none)")
    );
    println!("Connection closed (the Conn was dropped, as conn.close() does in Python).");
    Ok(())
}
