# Run by the mysql image's entrypoint on the first start, against its temporary server (socket only).
# Lets the course user create and drop the tests' throwaway databases, and no others:
# every test database is named llmagent_test_... (shared/src/testing.rs).
#
# The entrypoint sources a .sh file that is not executable and executes one that is. Docker Desktop on
# Windows shows every shared file as executable, so this calls the client itself rather than the
# entrypoint's docker_process_sql, which only a sourced script can see. The password goes through the
# environment, not a -p argument that `ps` would show.
MYSQL_PWD="$MYSQL_ROOT_PASSWORD" mysql --protocol=socket -uroot <<SQL
GRANT ALL PRIVILEGES ON \`llmagent\\_test\\_%\`.* TO '${MYSQL_USER}'@'%';
SQL
