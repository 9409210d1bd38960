//! Writes a tree of synthetic PE images for the scan benchmark (`bench/scan.sh`).
//!
//! Usage: `gen_pe_tree DIR [FILES] [TOTAL_MB]`. Sizes vary around TOTAL_MB / FILES; content is
//! deterministic.

#[path = "../tests/support/pegen.rs"]
mod pegen;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let Some(dir) = args.get(1) else {
        eprintln!("usage: gen_pe_tree DIR [FILES] [TOTAL_MB]");
        std::process::exit(2);
    };
    let files: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(2000);
    let total_mb: u64 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(520);
    let avg = total_mb * 1024 * 1024 / files;
    let mut written = 0u64;
    for i in 0..files {
        // 0.25x .. 1.75x the average, in 512-byte steps, split over three sections.
        let size = (avg / 4 + (i * 7919 % 1000) * avg * 3 / 2 / 1000) / 512 * 512;
        let spec = pegen::PeSpec {
            pe32_plus: i % 3 != 0,
            sections: vec![
                (size / 2).max(512) as u32,
                (size / 3).max(512) as u32,
                (size / 6).max(512) as u32,
            ],
            overlay: (i % 5) as u32 * 3,
            seed: i,
            ..pegen::PeSpec::default()
        };
        let sub = std::path::Path::new(dir).join(format!("d{:02}", i % 40));
        std::fs::create_dir_all(&sub).unwrap();
        let ext = if i % 4 == 0 { "dll" } else { "exe" };
        let bytes = pegen::build(&spec);
        written += bytes.len() as u64;
        std::fs::write(sub.join(format!("f{i:05}.{ext}")), bytes).unwrap();
    }
    println!("{files} files, {} MB", written / 1024 / 1024);
}
