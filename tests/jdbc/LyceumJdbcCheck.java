// Checks Lyceum through pgjdbc (Debian's libpostgresql-jdbc-java) the way JDBC tools use
// it: DatabaseMetaData browsing, a server-side prepared statement run ten times in binary
// (prepareThreshold=1), cursor-based streaming with setFetchSize, and TLS.
//
// Run (Java 11+ single-file source launch):
//   java -cp /usr/share/java/postgresql.jar tests/jdbc/LyceumJdbcCheck.java \
//        HOST PORT USER PASSWORD [TLS_PORT]
// Prints one "OK <check>" line per check that passed; exits 1 with "FAIL <check>: why"
// at the first that does not.

import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

public class LyceumJdbcCheck {
    static void check(boolean ok, String name, String detail) {
        if (!ok) {
            System.out.println("FAIL " + name + ": " + detail);
            System.exit(1);
        }
        System.out.println("OK " + name);
    }

    static Connection connect(String host, String port, String user, String password,
                              String extra) throws Exception {
        Properties props = new Properties();
        props.setProperty("user", user);
        props.setProperty("password", password);
        return DriverManager.getConnection(
            "jdbc:postgresql://" + host + ":" + port + "/lyceum" + extra, props);
    }

    public static void main(String[] args) throws Exception {
        String host = args[0], port = args[1], user = args[2], password = args[3];
        try (Connection conn = connect(host, port, user, password, "?prepareThreshold=1")) {
            DatabaseMetaData md = conn.getMetaData();
            check(md.getDatabaseProductName().equals("PostgreSQL"), "product",
                  md.getDatabaseProductName());

            List<String> schemas = new ArrayList<>();
            try (ResultSet rs = md.getSchemas()) {
                while (rs.next()) schemas.add(rs.getString("TABLE_SCHEM"));
            }
            check(schemas.contains("public") && schemas.contains("system"), "getSchemas",
                  schemas.toString());

            List<String> tables = new ArrayList<>();
            try (ResultSet rs = md.getTables(null, "public", "%", new String[] {"TABLE"})) {
                while (rs.next()) tables.add(rs.getString("TABLE_NAME"));
            }
            check(tables.contains("fact_enrollment") && tables.contains("dim_student"),
                  "getTables", tables.toString());

            List<String> columns = new ArrayList<>();
            String creditType = null;
            int creditDigits = -1;
            try (ResultSet rs = md.getColumns(null, "public", "fact_enrollment", "%")) {
                while (rs.next()) {
                    columns.add(rs.getString("COLUMN_NAME"));
                    if (rs.getString("COLUMN_NAME").equals("credit_hours_attempted")) {
                        creditType = rs.getString("TYPE_NAME");
                        creditDigits = rs.getInt("DECIMAL_DIGITS");
                    }
                }
            }
            check(columns.size() > 10 && columns.get(0).equals("enrollment_id"), "getColumns",
                  columns.toString());
            check("numeric".equals(creditType) && creditDigits == 1, "getColumns.numeric",
                  creditType + " scale " + creditDigits);

            List<String> keys = new ArrayList<>();
            try (ResultSet rs = md.getPrimaryKeys(null, "public", "fact_enrollment")) {
                while (rs.next()) keys.add(rs.getString("COLUMN_NAME") + "#" + rs.getInt("KEY_SEQ"));
            }
            check(keys.equals(List.of("enrollment_id#1")), "getPrimaryKeys", keys.toString());

            List<String> imported = new ArrayList<>();
            try (ResultSet rs = md.getImportedKeys(null, "public", "fact_enrollment")) {
                while (rs.next()) {
                    imported.add(rs.getString("FKCOLUMN_NAME") + "->" + rs.getString("PKTABLE_NAME")
                                 + "." + rs.getString("PKCOLUMN_NAME"));
                }
            }
            check(imported.contains("student_key->dim_student.student_key")
                  && imported.contains("term_key->dim_term.term_key"), "getImportedKeys",
                  imported.toString());

            // prepareThreshold=1: from the first execution on, a named server-side statement
            // with binary transfer.
            long first = -1;
            try (PreparedStatement ps = conn.prepareStatement(
                     "SELECT count(*), sum(credit_hours_attempted) FROM fact_enrollment "
                     + "WHERE term_key >= ? AND enrollment_status <> ?")) {
                for (int i = 0; i < 10; i++) {
                    ps.setInt(1, 0);
                    ps.setString(2, "none");
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        long n = rs.getLong(1);
                        if (first < 0) first = n;
                        check(n == first && n > 0 && rs.getBigDecimal(2) != null,
                              "preparedStatement#" + i, "count " + n);
                    }
                }
            }

            // setFetchSize streams through a portal (it needs a transaction).
            conn.setAutoCommit(false);
            long total;
            try (Statement st = conn.createStatement();
                 ResultSet rs = st.executeQuery("SELECT count(*) FROM fact_attendance")) {
                rs.next();
                total = rs.getLong(1);
            }
            long seen = 0;
            try (Statement st = conn.createStatement()) {
                st.setFetchSize(500);
                try (ResultSet rs = st.executeQuery("SELECT * FROM fact_attendance")) {
                    while (rs.next()) seen++;
                }
            }
            conn.commit();
            check(seen == total && total > 500, "setFetchSize", seen + " of " + total);
        }

        if (args.length > 4) {
            try (Connection tls = connect(host, args[4], user, password, "?sslmode=require");
                 Statement st = tls.createStatement();
                 ResultSet rs = st.executeQuery("SELECT 42")) {
                rs.next();
                check(rs.getInt(1) == 42, "sslmode=require", "answer " + rs.getInt(1));
            }
        }
        System.out.println("ALL OK");
    }
}
