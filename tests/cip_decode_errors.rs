//! Decode errors name the offset and the structure, and the reader refuses what it cannot
//! re-encode or represent.

mod common;

use cipolicy::cip::{self, DecodeErrorKind};

fn pywdac() -> Option<Vec<u8>> {
    let corpus = common::corpus()?;
    Some(std::fs::read(corpus.join("pairs/pywdac--pol/SiPolicy.p7b")).unwrap())
}

fn set_u32(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

#[test]
fn header_problems() {
    let Some(orig) = pywdac() else { return };
    for v in [0, 12, 0x0100_0000] {
        let mut b = orig.clone();
        set_u32(&mut b, 0, v);
        let e = cip::decompile(&b).unwrap_err();
        assert_eq!((e.offset, e.kind), (0, DecodeErrorKind::UnsupportedVersion(v)));
    }
    let mut b = orig.clone();
    set_u32(&mut b, 0x40, 0x44);
    let e = cip::decompile(&b).unwrap_err();
    assert_eq!(e.offset, 0x40);
    assert_eq!(e.structure, "header.body offset");

    // Option bits: bit 31 is required, unknown bits cannot be represented.
    let mut b = orig.clone();
    set_u32(&mut b, 0x24, 0x0009_0000);
    let e = cip::decompile(&b).unwrap_err();
    assert_eq!((e.offset, e.structure.as_str()), (0x24, "header.option flags"));
    assert!(e.to_string().contains("bit 31"), "{e}");
    let mut b = orig.clone();
    set_u32(&mut b, 0x24, 0x8009_0200);
    let e = cip::decompile(&b).unwrap_err();
    assert_eq!(e.offset, 0x24);
    assert!(e.to_string().contains("0x00000200"), "{e}");
}

#[test]
fn body_problems() {
    let Some(orig) = pywdac() else { return };
    // FileRules[1].Type (see the §12 listing: rule 1 starts at 0x5c).
    let mut b = orig.clone();
    set_u32(&mut b, 0x5c, 3);
    let e = cip::decompile(&b).unwrap_err();
    assert_eq!((e.offset, e.structure.as_str()), (0x5c, "FileRules[1].Type"));
    // Padding after "*" must be zero.
    let mut b = orig.clone();
    b[0x66] = 1;
    let e = cip::decompile(&b).unwrap_err();
    assert_eq!((e.offset, e.kind), (0x66, DecodeErrorKind::NonZeroPadding));
    assert_eq!(e.structure, "FileRules[1].FileName");
    // Setting type 4 does not exist.
    let mut b = orig.clone();
    set_u32(&mut b, 0xd4, 4);
    let e = cip::decompile(&b).unwrap_err();
    assert_eq!((e.offset, e.structure.as_str()), (0xd4, "Settings[0].Value"));
    // Section 5's tag.
    let mut b = orig.clone();
    set_u32(&mut b, 0x140, 6);
    let e = cip::decompile(&b).unwrap_err();
    assert_eq!(e.kind, DecodeErrorKind::BadSectionTag { expected: 5, found: 6 });
    assert_eq!((e.offset, e.structure.as_str()), (0x140, "section 5"));
    assert_eq!(cip::locate(&orig, 0x194), "section 7: FileRules[0].FilePath");
    assert_eq!(cip::locate(&orig, 0x104), "section 3: FileRules[1].MaximumFileVersion");
}

#[test]
fn end_tag_and_trailing_bytes() {
    let Some(orig) = pywdac() else { return };
    let end = orig.len() - 4;
    let mut b = orig.clone();
    set_u32(&mut b, end, 7);
    let e = cip::decompile(&b).unwrap_err();
    assert_eq!(e.kind, DecodeErrorKind::BadTerminator { expected: 8, found: 7 });
    // A larger end tag is read (a newer writer's next section tag, §6: `info` shows it), but no
    // policy compiles to it, so `decompile` refuses it rather than give a model of other bytes.
    let mut b = orig.clone();
    set_u32(&mut b, end, 9);
    assert_eq!(cip::info(&b).unwrap().end_tag, 9);
    let e = cip::decompile(&b).unwrap_err();
    assert!(matches!(e.kind, DecodeErrorKind::NotRepresentable(_)), "{e}");
    assert_eq!((e.offset, e.structure.as_str()), (end, "end tag"));
    let mut b = orig.clone();
    b.extend_from_slice(&[0, 0, 0, 0]);
    let e = cip::decompile(&b).unwrap_err();
    assert_eq!((e.offset, e.kind), (orig.len(), DecodeErrorKind::TrailingBytes(4)));
}

#[test]
fn app_settings_are_read_but_not_representable() {
    // A format-8 policy with one app (§5.6 layout): Id "A", one Bool definition "B" = 1, flags 0.
    let Some(orig) = pywdac() else { return };
    let mut b = orig[..orig.len() - 4].to_vec();
    b[0] = 8;
    b.extend_from_slice(&8u32.to_le_bytes());
    b.extend_from_slice(&1u32.to_le_bytes());
    let at_app = b.len();
    b.extend_from_slice(&[2, 0, 0, 0, b'A', 0, 0, 0, 0, 0, 0, 0]);
    b.extend_from_slice(&1u32.to_le_bytes());
    b.extend_from_slice(&[2, 0, 0, 0, b'B', 0, 0, 0, 0, 0, 0, 0]);
    b.extend_from_slice(&[0, 1]);
    b.extend_from_slice(&0u32.to_le_bytes());
    b.extend_from_slice(&9u32.to_le_bytes());
    let bin = cipolicy::cip::bin::BinPolicy::read(&mut cipolicy::cip::reader::Reader::new(&b)).unwrap();
    assert_eq!(bin.app_settings[0].id, "A");
    assert!(bin.encode() == b);
    let e = cip::decompile(&b).unwrap_err();
    assert!(matches!(e.kind, DecodeErrorKind::NotRepresentable(_)), "{e}");
    assert_eq!((e.structure.as_str(), e.offset), ("section 8", at_app - 8));
}
