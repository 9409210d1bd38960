//! Synthetic PE images for cross-checks and benchmarks: valid headers, any number of sections with
//! pseudo-random content, optional trailing data. Shared by tests and `examples/gen_pe_tree.rs`.
#![allow(dead_code)]

/// Shape of a generated image.
#[derive(Clone, Debug)]
pub struct PeSpec {
    /// PE32+ (x64) or PE32 (x86).
    pub pe32_plus: bool,
    /// `e_lfanew`.
    pub nt_offset: u32,
    /// `SizeOfHeaders` (multiple of `file_alignment`).
    pub size_of_headers: u32,
    /// `FileAlignment`.
    pub file_alignment: u32,
    /// `SectionAlignment`.
    pub section_alignment: u32,
    /// Raw sizes of the sections (rounded up to `file_alignment`).
    pub sections: Vec<u32>,
    /// Bytes appended after the last section.
    pub overlay: u32,
    /// `Subsystem`.
    pub subsystem: u16,
    /// Seed for the section content.
    pub seed: u64,
}

impl Default for PeSpec {
    fn default() -> Self {
        PeSpec {
            pe32_plus: true,
            nt_offset: 0x80,
            size_of_headers: 0x400,
            file_alignment: 0x200,
            section_alignment: 0x1000,
            sections: vec![0x600, 0x200],
            overlay: 0,
            subsystem: 3,
            seed: 1,
        }
    }
}

fn align(v: u32, a: u32) -> u32 {
    v.div_ceil(a) * a
}

/// xorshift64*: deterministic filler.
fn fill(buf: &mut [u8], mut x: u64) {
    x |= 1;
    for chunk in buf.chunks_mut(8) {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        let v = x.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes();
        chunk.copy_from_slice(&v[..chunk.len()]);
    }
}

/// Builds the image.
pub fn build(s: &PeSpec) -> Vec<u8> {
    let opt_size: u32 = if s.pe32_plus { 240 } else { 224 };
    let nsec = s.sections.len() as u32;
    let headers_end = s.nt_offset + 24 + opt_size + 40 * nsec;
    let soh = align(s.size_of_headers.max(headers_end), s.file_alignment);
    let raw: Vec<u32> = s.sections.iter().map(|&r| align(r, s.file_alignment)).collect();
    let total = soh + raw.iter().sum::<u32>();
    let mut b = vec![0u8; total as usize];
    b[0] = b'M';
    b[1] = b'Z';
    b[0x3C..0x40].copy_from_slice(&s.nt_offset.to_le_bytes());
    let nt = s.nt_offset as usize;
    b[nt..nt + 4].copy_from_slice(b"PE\0\0");
    let fh = nt + 4;
    let put16 = |b: &mut Vec<u8>, at: usize, v: u16| b[at..at + 2].copy_from_slice(&v.to_le_bytes());
    let put32 = |b: &mut Vec<u8>, at: usize, v: u32| b[at..at + 4].copy_from_slice(&v.to_le_bytes());
    put16(&mut b, fh, if s.pe32_plus { 0x8664 } else { 0x14C });
    put16(&mut b, fh + 2, nsec as u16);
    put16(&mut b, fh + 16, opt_size as u16);
    put16(&mut b, fh + 18, 0x0022);
    let o = fh + 20;
    put16(&mut b, o, if s.pe32_plus { 0x20B } else { 0x10B });
    let image_size = s.section_alignment * (1 + raw.iter().map(|r| r.div_ceil(s.section_alignment)).sum::<u32>());
    put32(&mut b, o + 4, raw.iter().sum());
    put32(&mut b, o + 16, s.section_alignment);
    if s.pe32_plus {
        b[o + 24..o + 32].copy_from_slice(&0x1_4000_0000u64.to_le_bytes());
    } else {
        put32(&mut b, o + 28, 0x40_0000);
    }
    put32(&mut b, o + 32, s.section_alignment);
    put32(&mut b, o + 36, s.file_alignment);
    put16(&mut b, o + 40, 6);
    put16(&mut b, o + 48, 6);
    put32(&mut b, o + 56, image_size);
    put32(&mut b, o + 60, soh);
    put32(&mut b, o + 64, 0x1234_5678); // CheckSum: excluded from every hash
    put16(&mut b, o + 68, s.subsystem);
    put16(&mut b, o + 70, 0x8160);
    let nrva = if s.pe32_plus { o + 108 } else { o + 92 };
    put32(&mut b, nrva, 16);
    let st = o + opt_size as usize;
    let (mut va, mut ptr) = (s.section_alignment, soh);
    for (i, &r) in raw.iter().enumerate() {
        let h = st + 40 * i;
        b[h..h + 8].copy_from_slice(format!(".s{i:<6}").as_bytes());
        put32(&mut b, h + 8, r);
        put32(&mut b, h + 12, va);
        put32(&mut b, h + 16, r);
        put32(&mut b, h + 20, ptr);
        put32(&mut b, h + 36, 0x4000_0040);
        fill(
            &mut b[ptr as usize..(ptr + r) as usize],
            s.seed.wrapping_add(i as u64 * 7919),
        );
        va += align(r, s.section_alignment);
        ptr += r;
    }
    let mut overlay = vec![0u8; s.overlay as usize];
    fill(&mut overlay, s.seed ^ 0xABCD);
    b.extend(overlay);
    b
}
