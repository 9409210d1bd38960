//! File digest algorithms and a hasher that computes several in one pass over the data.

use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha384, Sha512};

/// A digest algorithm a signature can name for the file digest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DigestAlg {
    /// MD5 (old signatures).
    Md5,
    /// SHA-1.
    Sha1,
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl DigestAlg {
    /// From a digest-algorithm OID (dotted); `None` when unknown.
    pub fn from_oid(oid: &str) -> Option<Self> {
        Some(match oid {
            "1.2.840.113549.2.5" => DigestAlg::Md5,
            "1.3.14.3.2.26" => DigestAlg::Sha1,
            "2.16.840.1.101.3.4.2.1" => DigestAlg::Sha256,
            "2.16.840.1.101.3.4.2.2" => DigestAlg::Sha384,
            "2.16.840.1.101.3.4.2.3" => DigestAlg::Sha512,
            _ => return None,
        })
    }

    /// Lower-case name (`sha256`).
    pub fn name(self) -> &'static str {
        match self {
            DigestAlg::Md5 => "md5",
            DigestAlg::Sha1 => "sha1",
            DigestAlg::Sha256 => "sha256",
            DigestAlg::Sha384 => "sha384",
            DigestAlg::Sha512 => "sha512",
        }
    }
}

enum One {
    Md5(Md5),
    Sha1(Sha1),
    Sha256(Sha256),
    Sha384(Sha384),
    Sha512(Sha512),
}

/// Feeds the same bytes to several digests.
pub struct MultiHasher {
    hashers: Vec<One>,
}

/// Chunk size: each chunk goes through every digest while it is still in cache.
const CHUNK: usize = 64 * 1024;
static ZEROS: [u8; 4096] = [0; 4096];

impl MultiHasher {
    /// Hashers for `algs`, results in the same order.
    pub fn new(algs: &[DigestAlg]) -> Self {
        MultiHasher {
            hashers: algs
                .iter()
                .map(|a| match a {
                    DigestAlg::Md5 => One::Md5(Md5::new()),
                    DigestAlg::Sha1 => One::Sha1(Sha1::new()),
                    DigestAlg::Sha256 => One::Sha256(Sha256::new()),
                    DigestAlg::Sha384 => One::Sha384(Sha384::new()),
                    DigestAlg::Sha512 => One::Sha512(Sha512::new()),
                })
                .collect(),
        }
    }

    /// Adds bytes.
    pub fn update(&mut self, data: &[u8]) {
        for chunk in data.chunks(CHUNK) {
            for h in &mut self.hashers {
                match h {
                    One::Md5(x) => x.update(chunk),
                    One::Sha1(x) => x.update(chunk),
                    One::Sha256(x) => x.update(chunk),
                    One::Sha384(x) => x.update(chunk),
                    One::Sha512(x) => x.update(chunk),
                }
            }
        }
    }

    /// Adds bytes to the `i`-th digest only (a per-algorithm prefix).
    pub fn update_one(&mut self, i: usize, data: &[u8]) {
        if let Some(h) = self.hashers.get_mut(i) {
            match h {
                One::Md5(x) => x.update(data),
                One::Sha1(x) => x.update(data),
                One::Sha256(x) => x.update(data),
                One::Sha384(x) => x.update(data),
                One::Sha512(x) => x.update(data),
            }
        }
    }

    /// Adds `n` zero bytes.
    pub fn update_zeros(&mut self, mut n: u64) {
        while n > 0 {
            let k = n.min(ZEROS.len() as u64) as usize;
            self.update(&ZEROS[..k]);
            n -= k as u64;
        }
    }

    /// The digests, in the order of the algorithms given to [`MultiHasher::new`].
    pub fn finish(self) -> Vec<Vec<u8>> {
        self.hashers
            .into_iter()
            .map(|h| match h {
                One::Md5(x) => x.finalize().to_vec(),
                One::Sha1(x) => x.finalize().to_vec(),
                One::Sha256(x) => x.finalize().to_vec(),
                One::Sha384(x) => x.finalize().to_vec(),
                One::Sha512(x) => x.finalize().to_vec(),
            })
            .collect()
    }
}

/// Digest of `data` with one algorithm.
pub fn digest(alg: DigestAlg, data: &[u8]) -> Vec<u8> {
    let mut h = MultiHasher::new(&[alg]);
    h.update(data);
    h.finish().remove(0)
}
