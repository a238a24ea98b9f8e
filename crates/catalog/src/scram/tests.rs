//! The server side checked against an independent client: postgres-protocol's
//! `ScramSha256`, the implementation tokio-postgres logs in with.

use postgres_protocol::authentication::sasl::{ChannelBinding, ScramSha256};

use super::*;

/// Runs a whole exchange; `Ok` carries what the client made of the server's final message.
fn exchange(verifier: &ScramVerifier, password: &str) -> Result<(), ScramError> {
    let mut client = ScramSha256::new(password.as_bytes(), ChannelBinding::unsupported());
    let (server_first, server) = ScramServer::start(verifier, client.message())?;
    client
        .update(server_first.as_bytes())
        .map_err(|e| ScramError::Malformed(e.to_string()))?;
    let server_final = server.finish(client.message())?;
    client
        .finish(server_final.as_bytes())
        .map_err(|e| ScramError::Malformed(format!("client rejected the server: {e}")))
}

#[test]
fn the_right_password_logs_in_and_the_server_proves_itself() {
    let verifier = ScramVerifier::from_password("correct horse");
    exchange(&verifier, "correct horse").expect("logs in");
}

#[test]
fn a_wrong_password_fails() {
    let verifier = ScramVerifier::from_password("correct horse");
    assert!(matches!(
        exchange(&verifier, "battery staple"),
        Err(ScramError::WrongPassword)
    ));
}

#[test]
fn a_mock_exchange_fails_like_a_wrong_password_with_a_stable_salt() {
    let key = MockAuthKey::from_bytes([7; 32]);
    let mut client = ScramSha256::new(b"anything", ChannelBinding::unsupported());
    let (first_a, server) =
        ScramServer::start_mock(&key, "ghost", client.message()).expect("start");
    client.update(first_a.as_bytes()).expect("client reads it");
    assert!(matches!(
        server.finish(client.message()),
        Err(ScramError::WrongPassword)
    ));
    let client = ScramSha256::new(b"anything", ChannelBinding::unsupported());
    let (first_b, _) = ScramServer::start_mock(&key, "ghost", client.message()).expect("start");
    let salt = |m: &str| {
        m.split(',')
            .find(|a| a.starts_with("s="))
            .map(str::to_string)
    };
    assert_eq!(salt(&first_a), salt(&first_b));
    assert!(first_a.contains(",i=4096"));
}

#[test]
fn verifiers_round_trip_in_postgres_format() {
    let verifier = ScramVerifier::from_password("pw");
    let text = verifier.to_string();
    assert!(text.starts_with("SCRAM-SHA-256$4096:"));
    assert!(!text.contains("pw$"));
    let parsed: ScramVerifier = text.parse().expect("parses");
    assert_eq!(parsed.to_string(), text);
    assert!(parsed.verify_password("pw"));
    assert!(!parsed.verify_password("Pw"));
    for bad in [
        "",
        "MD5$1:c2FsdA==$a:b",
        "SCRAM-SHA-256$0:c2FsdA==$AAAA:AAAA",
        "SCRAM-SHA-256$4096:c2FsdA==$AAAA:AAAA",
        "SCRAM-SHA-256$4096$x",
    ] {
        assert!(
            bad.parse::<ScramVerifier>().is_err(),
            "{bad:?} must not parse"
        );
    }
}

#[test]
fn a_verifier_made_by_postgresql_is_accepted() {
    // `CREATE ROLE u LOGIN PASSWORD 'lyceum'` on PostgreSQL 15, read from pg_authid.
    let made_by_postgres = "SCRAM-SHA-256$4096:TC2MOmeLZZ67NkPIZhjPCg==$\
        1hH4ZpSlv1MHUUxu0Itdb+KnT9PyvmxOZOsUopOtcM4=:Sf2KboZ/gdq8XDKDM2vtVkuNyHK60Ju96UM2CJbmAUA=";
    let parsed: ScramVerifier = made_by_postgres.parse().expect("parses");
    assert_eq!(parsed.to_string(), made_by_postgres);
    assert!(parsed.verify_password("lyceum"));
    exchange(&parsed, "lyceum").expect("logs in");
    assert!(exchange(&parsed, "Lyceum").is_err());
}

#[test]
fn malformed_and_unsupported_messages_are_refused() {
    let verifier = ScramVerifier::from_password("pw");
    for bad in [
        &b"garbage"[..],
        b"x,,n=,r=abc",
        b"n,,n=,r=",
        b"n,,r=abc",
        &[0xff, 0xfe],
    ] {
        assert!(matches!(
            ScramServer::start(&verifier, bad),
            Err(ScramError::Malformed(_))
        ));
    }
    for unsupported in [
        &b"p=tls-server-end-point,,n=,r=abc"[..],
        b"n,a=bob,n=,r=abc",
        b"n,,m=x,n=,r=abc",
    ] {
        assert!(matches!(
            ScramServer::start(&verifier, unsupported),
            Err(ScramError::Unsupported(_))
        ));
    }
    let (_, server) = ScramServer::start(&verifier, b"n,,n=,r=clientnonce").expect("start");
    assert!(matches!(
        server.finish(b"c=biws,r=wrongnonce,p=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="),
        Err(ScramError::Malformed(_))
    ));
}
