//! A throw-away PKI made with the openssl CLI at test time (root → PCA → leaf, RSA). No key
//! material is ever committed.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Paths of one generated PKI.
pub struct Pki {
    /// Folder holding everything.
    pub dir: PathBuf,
    /// The openssl binary used.
    pub openssl: PathBuf,
}

fn run(openssl: &Path, dir: &Path, args: &[&str]) {
    let out = Command::new(openssl).current_dir(dir).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "openssl {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

const CA_EXT: &str = "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n";
const LEAF_EXT: &str = "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=codeSigning\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n";

impl Pki {
    /// Makes root, PCA and an RSA-2048 leaf named "Contoso Policy Signer" in a fresh folder.
    /// `None` when openssl is absent (and not under CI).
    pub fn new(name: &str) -> Option<Pki> {
        let openssl = super::openssl()?;
        let dir = super::scratch_dir(name);
        let pki = Pki { dir, openssl };
        std::fs::write(pki.dir.join("ca.ext"), CA_EXT).unwrap();
        std::fs::write(pki.dir.join("leaf.ext"), LEAF_EXT).unwrap();
        pki.run(&[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "root.key",
            "-out",
            "root.pem",
            "-subj",
            "/CN=Contoso Test Root",
            "-days",
            "3650",
            "-sha256",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ]);
        pki.issue("pca", "Contoso Test PCA", "rsa:2048", "root", "ca.ext", "2");
        pki.issue("leaf", "Contoso Policy Signer", "rsa:2048", "pca", "leaf.ext", "3");
        Some(pki)
    }

    /// Runs openssl in the folder.
    pub fn run(&self, args: &[&str]) {
        run(&self.openssl, &self.dir, args);
    }

    /// Issues `<name>.pem` / `<name>.key` from `issuer`, with `newkey` like `rsa:3072` or
    /// `ec:p256.param`.
    pub fn issue(&self, name: &str, cn: &str, newkey: &str, issuer: &str, ext: &str, serial: &str) {
        let key = format!("{name}.key");
        let csr = format!("{name}.csr");
        let pem = format!("{name}.pem");
        self.run(&[
            "req",
            "-newkey",
            newkey,
            "-nodes",
            "-keyout",
            &key,
            "-out",
            &csr,
            "-subj",
            &format!("/CN={cn}"),
        ]);
        self.run(&[
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            &format!("{issuer}.pem"),
            "-CAkey",
            &format!("{issuer}.key"),
            "-set_serial",
            serial,
            "-days",
            "3650",
            "-sha256",
            "-extfile",
            ext,
            "-out",
            &pem,
        ]);
    }

    /// Reads a file of the PKI.
    pub fn read(&self, file: &str) -> Vec<u8> {
        std::fs::read(self.dir.join(file)).unwrap()
    }

    /// Path of a file of the PKI.
    pub fn path(&self, file: &str) -> PathBuf {
        self.dir.join(file)
    }
}
