//! A large document is read in two parts at once (`xml::tree` reads the part from a start tag past
//! the middle on a second thread). Wherever that part starts, the tree and every error must be
//! those of a one-pass read: over every corpus XML at several points, and over small documents
//! built to trip it (namespaces, prefixes, text or markup after the root, bad end tags, the depth
//! limit) at every character boundary.
mod common;

use cipolicy::xml::tree::{self, parse_split_at};

/// The `<` that starts each line, nearest to `parts` evenly spaced points of `text`.
fn line_start_tags(text: &str, parts: usize) -> Vec<usize> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    for k in 1..parts {
        let from = b.len() * k / parts;
        let found = b[from..]
            .windows(2)
            .position(|w| w[0] == b'\n' && w[1] != b'\n')
            .map(|i| from + i + 1);
        if let Some(mut i) = found {
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            if b.get(i) == Some(&b'<') {
                out.push(i);
            }
        }
    }
    out.dedup();
    out
}

#[test]
fn corpus_documents_read_the_same_wherever_the_second_part_starts() {
    let Some(corpus) = common::corpus() else { return };
    let files = common::files_with_ext(&corpus, &[".xml"]);
    assert!(
        files.len() >= 195 + 38,
        "expected the whole corpus, found {}",
        files.len()
    );
    let mut points = 0;
    for path in &files {
        let bytes = std::fs::read(path).unwrap();
        let Ok(text) = tree::decode(&bytes) else { continue };
        let one_pass = parse_split_at(&text, None);
        for at in line_start_tags(&text, 6) {
            let split = parse_split_at(&text, Some(at));
            assert!(
                split == one_pass,
                "{}: split at byte {at} reads differently",
                path.display()
            );
            points += 1;
        }
    }
    assert!(points > 500, "only {points} split points were tried");
}

const NS: &str = "urn:schemas-microsoft-com:sipolicy";

/// Small documents, each read split at every character boundary.
fn tricky_documents() -> Vec<String> {
    let plain = format!(
        "<?xml version=\"1.0\"?>\r\n<SiPolicy xmlns=\"{NS}\" PolicyType=\"Base Policy\">\r\n  <VersionEx>1.0.0.0</VersionEx>\r\n  <FileRules>\r\n    <Allow ID=\"ID_ALLOW_A\" FileName=\"a.exe\"/>\r\n    <Deny ID=\"ID_DENY_B\" FriendlyName=\"b &amp; c\" Hash=\"00FF\"/>\r\n    <FileRule ID=\"ID_X\" Type=\"Match\"><![CDATA[x]]></FileRule>\r\n  </FileRules>\r\n  <!-- é comment <Allow/> -->\r\n  <Rules><Rule><Option>Enabled:UMCI</Option></Rule></Rules>\r\n</SiPolicy>\r\n"
    );
    let body =
        |inner: &str| format!("<SiPolicy xmlns=\"{NS}\">\n  <A>\n    <B x=\"1\"/>\n{inner}\n  </A>\n</SiPolicy>\n");
    let mut docs = vec![
        plain,
        body("    <C>text &#233; &lt;</C>"),
        body("    <C>unclosed"),
        body("    <C></D>"),
        body("    </A>\n  <A>"),
        body("    <C xmlns=\"urn:other\"/>"),
        body("    <C xmlns:p=\"urn:other\"><p:D/></C>"),
        body("    <p:C/>"),
        body("    <C xsi:type=\"x\"/>"),
        body("    <C a=\"1\" a=\"2\"/>"),
        body("    <C>&unknown;</C>"),
        body("    <C a=\"&bad;\"/>"),
        body("    <C>\u{1F600} <![CDATA[<not a tag>]]></C>"),
        body("    <C  ></C  >"),
        body("    <?pi data?><C/>"),
        format!("<SiPolicy xmlns=\"{NS}\">\n  <A/>\n</SiPolicy>\n  trailing text\n"),
        format!("<SiPolicy xmlns=\"{NS}\">\n  <A/>\n</SiPolicy>\n<A/>\n"),
        format!("<SiPolicy xmlns=\"{NS}\">\n  <A/>\n</SiPolicy>\n<![CDATA[x]]>\n"),
        format!("<SiPolicy xmlns=\"{NS}\">\n  <A/>\n</SiPolicy>\n&amp;\n"),
        format!("<SiPolicy xmlns=\"{NS}\">\n  <A/>\n</SiPolicy>\n<!-- fine -->\n  \n"),
        format!("<SiPolicy xmlns=\"{NS}\">\n  <A/>\n</SiPolicy>\n<!DOCTYPE x>\n"),
        format!("<SiPolicy xmlns=\"{NS}\">\n  <A/>\n  <?xml version=\"1.0\"?>\n</SiPolicy>\n"),
        format!("<si:SiPolicy xmlns:si=\"{NS}\">\n  <si:A>\n    <si:B/>\n  </si:A>\n</si:SiPolicy>\n"),
        format!(
            "<SiPolicy xmlns=\"{NS}\" xmlns:xsi=\"urn:xsi\">\n  <A xsi:type=\"t\">\n    <B/>\n  </A>\n</SiPolicy>\n"
        ),
        format!("<SiPolicy xmlns=\"{NS}\">\n  <A xmlns=\"urn:other\">\n    <B/>\n  </A>\n  <C/>\n</SiPolicy>\n"),
        format!("<SiPolicy>\n  <A/>\n</SiPolicy>\n"),
        format!("<SiPolicy xmlns=\"{NS}\">\n  <A/>\n"),
        format!("<SiPolicy xmlns=\"{NS}\">\n  <A/>\n</SiPolicy>\n</SiPolicy>\n"),
    ];
    // Nesting right at the depth limit, and one past it.
    for depth in [63, 64, 65] {
        let mut d = format!("<SiPolicy xmlns=\"{NS}\">\n");
        for i in 1..depth {
            d.push_str(&format!("{}<E{i}>\n", " ".repeat(i)));
        }
        for i in (1..depth).rev() {
            d.push_str(&format!("{}</E{i}>\n", " ".repeat(i)));
        }
        d.push_str("</SiPolicy>\n");
        docs.push(d);
    }
    docs
}

#[test]
fn tricky_documents_read_the_same_split_at_every_character() {
    for doc in tricky_documents() {
        let one_pass = parse_split_at(&doc, None);
        for at in (1..doc.len()).filter(|&at| doc.is_char_boundary(at)) {
            assert_eq!(parse_split_at(&doc, Some(at)), one_pass, "split at byte {at} of\n{doc}");
        }
    }
}

#[test]
fn large_documents_are_read_in_two_parts_with_the_same_result() {
    // Large enough for `parse` itself to split.
    let mut doc = format!("<SiPolicy xmlns=\"{NS}\">\n  <FileRules>\n");
    for i in 0..4000 {
        doc.push_str(&format!(
            "    <Allow ID=\"ID_ALLOW_{i}\" FriendlyName=\"rule {i} &amp; more\" FileName=\"f{i}.exe\" MinimumFileVersion=\"1.0.0.{i}\"/>\n"
        ));
    }
    doc.push_str("  </FileRules>\n</SiPolicy>\n");
    assert!(doc.len() > 256 * 1024);
    assert_eq!(tree::parse(&doc), parse_split_at(&doc, None));
}
