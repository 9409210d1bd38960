//! Walking folders and hashing files in parallel (walkdir + rayon), with a progress bar on a
//! terminal. Results are sorted by display path before anyone sees them, so the output does not
//! depend on the thread count or on the order threads finish in. Bad files never stop a scan:
//! each becomes one [`Issue`].

use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};
use rayon::prelude::*;

use super::facts::{FactOptions, FileFacts, facts_from_bytes};
use super::msi::OLE_MAGIC;

/// How to walk and hash.
#[derive(Clone, Debug, Default)]
pub struct WalkOptions {
    /// Globs of paths to leave out (`-OmitPaths`), matched against the path relative to the scan
    /// root and against the display path; a matching folder is skipped whole.
    pub omit: Vec<String>,
    /// Do not follow symbolic links (by default they are followed and loops are reported).
    pub no_follow: bool,
    /// Display-path prefix replacing each scan root (e.g. `C:\Program Files\App`); relative parts
    /// then use backslashes. Without it the display path is the path as reached from the root
    /// argument, with `/`.
    pub path_prefix: Option<String>,
    /// Worker threads (0 or `None`: rayon's default).
    pub threads: Option<usize>,
    /// Show a progress bar when stderr is a terminal.
    pub progress: bool,
    /// Hash every file, not only PE images, PowerShell scripts and installers.
    pub all_files: bool,
    /// Also compute each file's flat SHA-256.
    pub flat_sha256: bool,
}

/// A problem found during a scan, one line in the summary.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Issue {
    /// Display path (or the root, for walk errors).
    pub path: String,
    /// What went wrong.
    pub message: String,
}

/// Files found and hashed.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct ScanOutput {
    /// Facts, sorted by display path.
    pub files: Vec<FileFacts>,
    /// Files and folders that could not be read, sorted.
    pub issues: Vec<Issue>,
    /// Files skipped because they are not PE, script or installer files.
    pub skipped: usize,
}

/// The omit globs could not be compiled.
#[derive(Debug, thiserror::Error)]
#[error("bad --omit glob: {0}")]
pub struct GlobError(String);

fn globset(patterns: &[String]) -> Result<GlobSet, GlobError> {
    let mut b = GlobSetBuilder::new();
    for p in patterns {
        b.add(Glob::new(p).map_err(|e| GlobError(e.to_string()))?);
    }
    b.build().map_err(|e| GlobError(e.to_string()))
}

struct Candidate {
    path: PathBuf,
    display: String,
    size: u64,
}

fn display(root: &Path, rel: &Path, prefix: Option<&str>) -> String {
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    // A file given as the root shows under the prefix by its own name.
    if parts.is_empty()
        && prefix.is_some()
        && root.is_file()
        && let Some(name) = root.file_name()
    {
        parts.push(name.to_string_lossy().into_owned());
    }
    match prefix {
        Some(p) => {
            let p = p.trim_end_matches(['\\', '/']);
            if parts.is_empty() {
                p.to_string()
            } else {
                format!("{p}\\{}", parts.join("\\"))
            }
        }
        None => {
            let r = root.to_string_lossy().replace('\\', "/");
            if parts.is_empty() {
                r
            } else {
                format!("{}/{}", r.trim_end_matches('/'), parts.join("/"))
            }
        }
    }
}

fn rel_text(rel: &Path) -> String {
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// True when a file looks like something WDAC enforces: PE or OLE by content, scripts and
/// installers by extension. Reads at most 8 bytes.
fn is_candidate(path: &Path) -> std::io::Result<bool> {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if matches!(ext.as_str(), "ps1" | "psm1" | "psd1") {
        return Ok(true);
    }
    let mut head = [0u8; 8];
    let mut f = std::fs::File::open(path)?;
    let mut n = 0;
    while n < head.len() {
        let k = f.read(&mut head[n..])?;
        if k == 0 {
            break;
        }
        n += k;
    }
    Ok(head[..n].starts_with(b"MZ") || (head == OLE_MAGIC && matches!(ext.as_str(), "msi" | "msp" | "mst")))
}

fn collect(roots: &[PathBuf], opts: &WalkOptions, omit: &GlobSet, out: &mut ScanOutput) -> Vec<Candidate> {
    let mut found = Vec::new();
    for root in roots {
        let walker = walkdir::WalkDir::new(root)
            .follow_links(!opts.no_follow)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| {
                let rel = e.path().strip_prefix(root).unwrap_or(e.path());
                let rel = rel_text(rel);
                rel.is_empty() || !omit.is_match(&rel)
            });
        for entry in walker {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    let path = e
                        .path()
                        .map(|p| display(root, p.strip_prefix(root).unwrap_or(p), opts.path_prefix.as_deref()))
                        .unwrap_or_else(|| root.to_string_lossy().into_owned());
                    let message = if e.loop_ancestor().is_some() {
                        "symbolic link loop; not followed".to_string()
                    } else {
                        format!(
                            "cannot read: {}",
                            e.io_error().map_or(e.to_string(), |io| io.to_string())
                        )
                    };
                    out.issues.push(Issue { path, message });
                    continue;
                }
            };
            let kind = entry.file_type();
            let rel = entry.path().strip_prefix(root).unwrap_or(entry.path());
            if !kind.is_file() {
                // Folders are walked and unfollowed links are skipped on purpose; FIFOs, sockets
                // and devices are not files that run, and reading one could block or never end.
                if !kind.is_dir() && !kind.is_symlink() {
                    out.issues.push(Issue {
                        path: display(root, rel, opts.path_prefix.as_deref()),
                        message: "not a regular file (a FIFO, socket or device); skipped".to_string(),
                    });
                }
                continue;
            }
            let shown = display(root, rel, opts.path_prefix.as_deref());
            if omit.is_match(&shown) {
                continue;
            }
            if !opts.all_files {
                match is_candidate(entry.path()) {
                    Ok(true) => {}
                    Ok(false) => {
                        out.skipped += 1;
                        continue;
                    }
                    Err(e) => {
                        out.issues.push(Issue {
                            path: shown,
                            message: format!("cannot read: {e}"),
                        });
                        continue;
                    }
                }
            }
            let size = entry.metadata().map(|m| m.len()).unwrap_or(0);
            found.push(Candidate {
                path: entry.path().to_path_buf(),
                display: shown,
                size,
            });
        }
    }
    found.sort_by(|a, b| a.display.cmp(&b.display).then_with(|| a.path.cmp(&b.path)));
    found.dedup_by(|a, b| a.path == b.path);
    found
}

fn progress_bar(enabled: bool, files: usize, bytes: u64) -> indicatif::ProgressBar {
    if !enabled || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let pb = indicatif::ProgressBar::new(bytes);
    let style = indicatif::ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {wide_bar} {binary_bytes}/{binary_total_bytes} ({binary_bytes_per_sec}) {msg}",
    )
    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
    pb.set_style(style);
    pb.set_message(format!("0/{files} files"));
    pb
}

/// Walks `roots` (files or folders) and collects the facts of every candidate file in parallel.
pub fn scan_paths(roots: &[PathBuf], opts: &WalkOptions) -> Result<ScanOutput, GlobError> {
    let omit = globset(&opts.omit)?;
    let mut out = ScanOutput::default();
    let found = collect(roots, opts, &omit, &mut out);
    let total: u64 = found.iter().map(|c| c.size).sum();
    let pb = progress_bar(opts.progress, found.len(), total);
    let done = std::sync::atomic::AtomicUsize::new(0);
    let fact_opts = FactOptions {
        flat_sha256: opts.flat_sha256,
    };
    let work = || {
        found
            .par_iter()
            .map(|c| {
                let r = std::fs::read(&c.path).map(|bytes| facts_from_bytes(&c.display, &bytes, fact_opts));
                pb.inc(c.size);
                let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                pb.set_message(format!("{n}/{} files", found.len()));
                r.map_err(|e| Issue {
                    path: c.display.clone(),
                    message: format!("cannot read: {e}"),
                })
            })
            .collect::<Vec<_>>()
    };
    let results = match opts.threads.filter(|&n| n > 0) {
        Some(n) => match rayon::ThreadPoolBuilder::new().num_threads(n).build() {
            Ok(pool) => pool.install(work),
            Err(_) => work(),
        },
        None => work(),
    };
    pb.finish_and_clear();
    for r in results {
        match r {
            Ok(f) => {
                if !f.problems.is_empty() {
                    out.issues.push(Issue {
                        path: f.path.clone(),
                        message: f.problems.join("; "),
                    });
                }
                out.files.push(f);
            }
            Err(i) => out.issues.push(i),
        }
    }
    out.files.sort_by(|a, b| a.path.cmp(&b.path));
    out.issues.sort();
    Ok(out)
}
