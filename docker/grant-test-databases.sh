# Sourced (not executed: keep it non-executable) by the mysql image's entrypoint on the first start.
# Lets the course user create and drop the tests' throwaway databases, and no others:
# every test database is named llmagent_test_... (shared/src/testing.rs).
docker_process_sql --database=mysql <<SQL
GRANT ALL PRIVILEGES ON \`llmagent\\_test\\_%\`.* TO '${MYSQL_USER}'@'%';
SQL
