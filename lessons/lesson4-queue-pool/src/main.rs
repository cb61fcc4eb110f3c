//! `cargo run -p lesson4`: placeholder demo, replaced below.
fn main() -> anyhow::Result<()> {
    let config = shared::Config::from_env()?;
    let pool = lesson4::Pool::new(config.opts(), 4)?;
    println!("{:?}", pool.state());
    Ok(())
}
