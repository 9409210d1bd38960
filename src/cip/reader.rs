//! A bounded little-endian cursor over a binary policy.
//!
//! It never reads past the end, checks every element count against the bytes that remain before
//! anything is allocated, and knows which structure it is inside so that errors name it. With
//! tracing on it also records the byte span of every structure it reads, which [`super::locate`]
//! uses to name the structure at an offset.

use super::error::{DecodeError, DecodeErrorKind};

/// Arrays that index lists point into; their lengths bound every index read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Table {
    /// EKUs.
    Ekus,
    /// File rules (sorted order).
    FileRules,
    /// Signers.
    Signers,
    /// Signing scenarios.
    Scenarios,
    /// Artifact rules (format 10+).
    ArtifactRules,
}

impl Table {
    fn name(self) -> &'static str {
        match self {
            Table::Ekus => "the EKU array",
            Table::FileRules => "the FileRule array",
            Table::Signers => "the Signer array",
            Table::Scenarios => "the SigningScenario array",
            Table::ArtifactRules => "the ArtifactRule array",
        }
    }
}

/// What a tracing reader records. The targeted modes keep memory bounded on large inputs.
enum Trace {
    Off,
    All(Vec<Span>),
    /// Start of the first structure with this path.
    Find(String, Option<usize>),
    /// Smallest structure containing this offset.
    Innermost(usize, Option<Span>),
}

#[derive(Clone, Copy, Debug)]
struct Frame {
    name: &'static str,
    index: Option<usize>,
    section: bool,
}

/// The byte range of one structure read with tracing on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
    /// Structure path, as in [`DecodeError::structure`].
    pub structure: String,
}

/// Cursor over the raw policy bytes.
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    frames: Vec<Frame>,
    trace: Trace,
    lens: [usize; 5],
}

/// Result of a read.
pub type ReadResult<T> = Result<T, DecodeError>;

impl<'a> Reader<'a> {
    /// A reader at offset 0.
    pub fn new(buf: &'a [u8]) -> Self {
        Reader {
            buf,
            pos: 0,
            frames: Vec::new(),
            trace: Trace::Off,
            lens: [0; 5],
        }
    }

    /// A reader that records the span of every structure it reads.
    pub fn with_trace(buf: &'a [u8]) -> Self {
        Reader {
            trace: Trace::All(Vec::new()),
            ..Reader::new(buf)
        }
    }

    /// A reader that notes where the first structure named `structure` starts.
    pub fn finding(buf: &'a [u8], structure: &str) -> Self {
        Reader {
            trace: Trace::Find(structure.to_string(), None),
            ..Reader::new(buf)
        }
    }

    /// A reader that notes the smallest structure containing byte `offset`.
    pub fn locating(buf: &'a [u8], offset: usize) -> Self {
        Reader {
            trace: Trace::Innermost(offset, None),
            ..Reader::new(buf)
        }
    }

    /// The spans recorded (all of them with [`Reader::with_trace`], the one found with
    /// [`Reader::finding`] or [`Reader::locating`]).
    pub fn into_spans(self) -> Vec<Span> {
        match self.trace {
            Trace::Off => Vec::new(),
            Trace::All(v) => v,
            Trace::Find(structure, start) => start
                .map(|start| Span {
                    start,
                    end: start,
                    structure,
                })
                .into_iter()
                .collect(),
            Trace::Innermost(_, best) => best.into_iter().collect(),
        }
    }

    /// Current offset.
    pub fn offset(&self) -> usize {
        self.pos
    }

    /// Bytes not read yet.
    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// The current structure path (`FileRules[3].Hash`).
    pub fn path(&self) -> String {
        let mut s = String::new();
        for (i, f) in self.frames.iter().enumerate() {
            if i > 0 && !f.name.is_empty() {
                s.push_str(if self.frames[i - 1].section { ": " } else { "." });
            }
            s.push_str(f.name);
            if let Some(ix) = f.index {
                s.push('[');
                s.push_str(&ix.to_string());
                s.push(']');
            }
        }
        if s.is_empty() { "policy".to_string() } else { s }
    }

    /// An error at `offset` inside the current structure.
    pub fn error_at(&self, offset: usize, kind: DecodeErrorKind) -> DecodeError {
        DecodeError {
            offset,
            structure: self.path(),
            kind,
        }
    }

    fn scoped<T>(&mut self, frame: Frame, f: impl FnOnce(&mut Self) -> ReadResult<T>) -> ReadResult<T> {
        let start = self.pos;
        self.frames.push(frame);
        // On error the frame stays pushed: the error already holds the path and the reader is
        // abandoned.
        let v = f(self)?;
        let end = self.pos;
        let record = match &self.trace {
            Trace::Off | Trace::Find(_, Some(_)) => false,
            Trace::All(_) | Trace::Find(_, None) => true,
            Trace::Innermost(at, best) => {
                start <= *at && *at < end && best.as_ref().is_none_or(|b| end - start < b.end - b.start)
            }
        };
        if record {
            let structure = self.path();
            match &mut self.trace {
                Trace::All(v) => v.push(Span { start, end, structure }),
                Trace::Find(want, found) if *want == structure => *found = Some(start),
                Trace::Innermost(_, best) => *best = Some(Span { start, end, structure }),
                _ => {}
            }
        }
        self.frames.pop();
        Ok(v)
    }

    /// Reads a named field or structure.
    pub fn field<T>(&mut self, name: &'static str, f: impl FnOnce(&mut Self) -> ReadResult<T>) -> ReadResult<T> {
        self.scoped(
            Frame {
                name,
                index: None,
                section: false,
            },
            f,
        )
    }

    /// Reads element `index` of the array `name`.
    pub fn item<T>(
        &mut self,
        name: &'static str,
        index: usize,
        f: impl FnOnce(&mut Self) -> ReadResult<T>,
    ) -> ReadResult<T> {
        self.scoped(
            Frame {
                name,
                index: Some(index),
                section: false,
            },
            f,
        )
    }

    /// Reads an extension section (the name renders as `section N` followed by `: `).
    pub fn section<T>(&mut self, name: &'static str, f: impl FnOnce(&mut Self) -> ReadResult<T>) -> ReadResult<T> {
        self.scoped(
            Frame {
                name,
                index: None,
                section: true,
            },
            f,
        )
    }

    /// Takes `n` bytes.
    pub fn bytes(&mut self, n: usize) -> ReadResult<&'a [u8]> {
        if n > self.remaining() {
            return Err(self.error_at(
                self.pos,
                DecodeErrorKind::Truncated {
                    needed: n,
                    available: self.remaining(),
                },
            ));
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    fn array<const N: usize>(&mut self) -> ReadResult<[u8; N]> {
        let b = self.bytes(N)?;
        let mut out = [0u8; N];
        out.copy_from_slice(b);
        Ok(out)
    }

    /// A little-endian u32.
    pub fn u32(&mut self) -> ReadResult<u32> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    /// A little-endian u64.
    pub fn u64(&mut self) -> ReadResult<u64> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    /// A little-endian i64.
    pub fn i64(&mut self) -> ReadResult<i64> {
        Ok(i64::from_le_bytes(self.array()?))
    }

    /// 16 raw bytes.
    pub fn bytes16(&mut self) -> ReadResult<[u8; 16]> {
        self.array()
    }

    /// Zero padding after `len` data bytes up to the next 4-byte boundary.
    pub fn padding(&mut self, len: usize) -> ReadResult<()> {
        let at = self.pos;
        let pad = (4 - len % 4) % 4;
        if self.bytes(pad)?.iter().any(|&b| b != 0) {
            return Err(self.error_at(at, DecodeErrorKind::NonZeroPadding));
        }
        Ok(())
    }

    /// A u32 element count, checked against the remaining bytes: `count` elements of at least
    /// `min_size` bytes each must fit, so a hostile count cannot make the caller allocate more
    /// than the input could describe.
    pub fn count(&mut self, min_size: usize) -> ReadResult<usize> {
        let at = self.pos;
        let count = self.u32()?;
        self.check_count(at, count, min_size)
    }

    /// Sets the length of `table`, which bounds the indexes read by [`Reader::index`].
    pub fn set_len(&mut self, table: Table, len: usize) {
        self.lens[table as usize] = len;
    }

    /// The length set for `table`.
    pub fn len_of(&self, table: Table) -> usize {
        self.lens[table as usize]
    }

    /// A u32 index into `table`, checked against its length.
    pub fn index(&mut self, table: Table) -> ReadResult<u32> {
        let at = self.pos;
        let index = self.u32()?;
        let len = self.len_of(table);
        if index as usize >= len {
            return Err(self.error_at(
                at,
                DecodeErrorKind::IndexOutOfRange {
                    index,
                    what: table.name(),
                    len,
                },
            ));
        }
        Ok(index)
    }

    /// A counted list of indexes into `table`.
    pub fn index_list(&mut self, table: Table) -> ReadResult<Vec<u32>> {
        let n = self.count(4)?;
        let mut v = Vec::with_capacity(n);
        for _ in 0..n {
            v.push(self.index(table)?);
        }
        Ok(v)
    }

    /// Checks a count read elsewhere (the header counts) against the remaining bytes.
    pub fn check_count(&self, at: usize, count: u32, min_size: usize) -> ReadResult<usize> {
        let min_bytes = u128::from(count) * min_size as u128;
        if min_bytes > self.remaining() as u128 {
            return Err(self.error_at(
                at,
                DecodeErrorKind::CountTooLarge {
                    count,
                    min_bytes,
                    available: self.remaining(),
                },
            ));
        }
        // `count * min_size <= remaining` bounds it by the input length (min_size ≥ 1).
        Ok(count as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_to_read_past_the_end() {
        let mut r = Reader::new(&[1, 0, 0, 0, 2]);
        assert_eq!(r.u32().unwrap(), 1);
        let e = r.field("X", |r| r.u32()).unwrap_err();
        assert_eq!(e.offset, 4);
        assert_eq!(e.structure, "X");
        assert_eq!(
            e.kind,
            DecodeErrorKind::Truncated {
                needed: 4,
                available: 1
            }
        );
    }

    #[test]
    fn count_of_u32_max_is_refused_before_allocation() {
        let buf = [0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0];
        let mut r = Reader::new(&buf);
        let e = r
            .item("Signers", 2, |r| r.field("CertEKU", |r| r.count(4)))
            .unwrap_err();
        assert_eq!(e.offset, 0);
        assert_eq!(e.structure, "Signers[2].CertEKU");
        assert!(matches!(
            e.kind,
            DecodeErrorKind::CountTooLarge {
                count: u32::MAX,
                available: 4,
                ..
            }
        ));
    }

    #[test]
    fn section_paths_and_trace() {
        let buf = [0u8; 8];
        let mut r = Reader::with_trace(&buf);
        r.section("section 3", |r| {
            r.item("FileRules", 1, |r| r.field("AppIDs", |r| r.u64()))
        })
        .unwrap();
        let spans = r.into_spans();
        assert_eq!(spans[0].structure, "section 3: FileRules[1].AppIDs");
        assert_eq!((spans[0].start, spans[0].end), (0, 8));
    }

    #[test]
    fn targeted_traces() {
        let buf = [0u8; 12];
        let read = |r: &mut Reader<'_>| {
            r.item("A", 0, |r| r.field("x", |r| r.u32()))?;
            r.item("A", 1, |r| {
                r.field("x", |r| r.u32())?;
                r.field("y", |r| r.u32())
            })
        };
        let mut r = Reader::locating(&buf, 9);
        read(&mut r).unwrap();
        assert_eq!(r.into_spans()[0].structure, "A[1].y");
        let mut r = Reader::finding(&buf, "A[1]");
        read(&mut r).unwrap();
        assert_eq!(r.into_spans()[0].start, 4);
    }
}
