//! PowerShell SIP digest (rule-levels.md §2.1): the digest of the script text as UTF-16LE, a UTF-8
//! BOM kept as U+FEFF, stopping before the CRLF that precedes the signature block; and the
//! signature block itself (base64 PKCS#7 in `# ` comment lines).

use base64::Engine;

const BEGIN: &str = "\r\n# SIG # Begin signature block";
const END: &str = "# SIG # End signature block";

/// Windows-1252 code points for bytes 0x80..=0x9F (the rest of the code page is Latin-1).
const CP1252_HIGH: [u16; 32] = [
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D,
    0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A,
    0x0153, 0x009D, 0x017E, 0x0178,
];

/// The script decoded to UTF-16 code units, as the PowerShell SIP reads it.
///
/// BOM-less files that are not valid UTF-8 are read as Windows-1252; how the Windows SIP decodes
/// them (ANSI code page vs UTF-8) is not verified (rule-levels.md §2.1, [uncertain]).
pub fn decode(bytes: &[u8]) -> Vec<u16> {
    match bytes {
        [0xEF, 0xBB, 0xBF, rest @ ..] => std::iter::once(0xFEFF)
            .chain(String::from_utf8_lossy(rest).encode_utf16())
            .collect(),
        [0xFF, 0xFE, ..] => bytes
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect(),
        [0xFE, 0xFF, ..] => bytes
            .chunks_exact(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]))
            .collect(),
        _ => match std::str::from_utf8(bytes) {
            Ok(s) => s.encode_utf16().collect(),
            Err(_) => bytes
                .iter()
                .map(|&b| match b {
                    0x80..=0x9F => CP1252_HIGH[usize::from(b - 0x80)],
                    _ => u16::from(b),
                })
                .collect(),
        },
    }
}

fn find(hay: &[u16], needle: &str) -> Option<usize> {
    let n: Vec<u16> = needle.encode_utf16().collect();
    hay.windows(n.len()).position(|w| w == n.as_slice())
}

/// A script split into what is hashed and its signature.
pub struct Script {
    /// UTF-16LE bytes the SIP digest covers.
    pub hashed: Vec<u8>,
    /// The embedded PKCS#7 signature, when there is a signature block.
    pub signature: Option<Result<Vec<u8>, String>>,
}

/// Splits a PowerShell script (`.ps1`, `.psm1`, `.psd1`).
pub fn split(bytes: &[u8]) -> Script {
    let units = decode(bytes);
    let (body, signature) = match find(&units, BEGIN) {
        Some(at) => {
            let block = String::from_utf16_lossy(&units[at + BEGIN.len()..]);
            (&units[..at], Some(signature_from_block(&block)))
        }
        None => (&units[..], None),
    };
    Script {
        hashed: body.iter().flat_map(|u| u.to_le_bytes()).collect(),
        signature,
    }
}

fn signature_from_block(block: &str) -> Result<Vec<u8>, String> {
    let end = block.find(END).ok_or("signature block has no end marker")?;
    let b64: String = block[..end]
        .lines()
        .map(|l| l.trim().trim_start_matches('#').trim())
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(b64.as_bytes())
        .map_err(|e| format!("signature block is not base64: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_boms_and_code_pages() {
        assert_eq!(decode(b"\xEF\xBB\xBFa"), vec![0xFEFF, 0x61]);
        assert_eq!(decode(b"\xFF\xFEa\0"), vec![0xFEFF, 0x61]);
        assert_eq!(decode(b"a\x80"), vec![0x61, 0x20AC]);
        let s = split(b"x\r\n# SIG # Begin signature block\r\n# AAEC\r\n# SIG # End signature block\r\n");
        assert_eq!(s.hashed, b"x\0");
        assert_eq!(s.signature.unwrap().unwrap(), vec![0, 1, 2]);
    }
}
