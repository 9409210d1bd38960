//! PKCS#12 files written by `openssl pkcs12 -export` at test time.

mod common;

use cipolicy::sign::{self, KeyError};
use common::pki::Pki;

fn export(pki: &Pki, name: &str, extra: &[&str]) -> Vec<u8> {
    let out = format!("{name}.pfx");
    let mut args = vec![
        "pkcs12",
        "-export",
        "-inkey",
        "leaf.key",
        "-in",
        "leaf.pem",
        "-certfile",
        "pca.pem",
        "-passout",
        "pass:Pässwörd 1",
        "-out",
        &out,
    ];
    args.extend(extra);
    pki.run(&args);
    pki.read(&out)
}

#[test]
fn reads_aes_and_3des_files() {
    let Some(pki) = Pki::new("pkcs12-read") else { return };
    let leaf = cipolicy::cert::ParsedCert::all_from_pem_or_der(&pki.read("leaf.pem"))
        .unwrap()
        .remove(0);
    let pca = cipolicy::cert::ParsedCert::all_from_pem_or_der(&pki.read("pca.pem"))
        .unwrap()
        .remove(0);
    for (name, extra) in [
        // OpenSSL 3 default: PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC), MAC SHA-256.
        ("aes", &[][..]),
        // Windows' TripleDES-SHA1 export.
        (
            "3des",
            &[
                "-keypbe",
                "PBE-SHA1-3DES",
                "-certpbe",
                "PBE-SHA1-3DES",
                "-macalg",
                "sha1",
            ][..],
        ),
        // Unencrypted certificates, SHA-512 MAC.
        ("nocertenc", &["-certpbe", "NONE", "-macalg", "sha512"][..]),
    ] {
        let bytes = export(&pki, name, extra);
        let id = sign::keys::load_pkcs12(&bytes, "Pässwörd 1").unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(id.cert.der, leaf.der, "{name}");
        assert_eq!(id.chain.len(), 1, "{name}");
        assert_eq!(id.chain[0].der, pca.der, "{name}");
        assert!(sign::keys::key_matches_cert(&id.key, &id.cert), "{name}");
    }
}

#[test]
fn wrong_password_and_garbage_are_errors() {
    let Some(pki) = Pki::new("pkcs12-errors") else { return };
    let bytes = export(&pki, "aes", &[]);
    let e = sign::keys::load_pkcs12(&bytes, "wrong").unwrap_err();
    assert!(matches!(e, KeyError::Pkcs12(_)));
    assert_eq!(
        e.to_string(),
        "PKCS#12: wrong password (the integrity MAC does not match)"
    );
    for len in [0, 1, 10, bytes.len() / 2, bytes.len() - 1] {
        assert!(sign::keys::load_pkcs12(&bytes[..len], "Pässwörd 1").is_err());
    }
    let mut flipped = bytes.clone();
    let mid = flipped.len() / 2;
    flipped[mid] ^= 0x40;
    assert!(sign::keys::load_pkcs12(&flipped, "Pässwörd 1").is_err());
}
