//! File I/O with guarantees: atomic output (a failed run never leaves a partial artifact) and
//! bounded input for files that other files name (a spec's includes, base and certificates).

use std::fs;
use std::io::{self, Read, Write};
use std::path::Path;

/// Largest file [`read_named`] reads: far above any policy, spec or certificate (the largest
/// real policies are a few MB), far below what would exhaust memory.
pub const MAX_NAMED_FILE: u64 = 256 * 1024 * 1024;

/// Reads a file whose path came from another file's content (an include, a base, a
/// certificate), where the path may be hostile: only a regular file (after following links) of at
/// most [`MAX_NAMED_FILE`] bytes is read. A device (`/dev/zero`, `/dev/stdin`) would never end and
/// opening a FIFO would block, so neither is opened.
pub fn read_named(path: &Path) -> io::Result<Vec<u8>> {
    let meta = fs::metadata(path)?;
    if !meta.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file (a folder, device or pipe)",
        ));
    }
    let too_big = || {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("larger than {} MiB", MAX_NAMED_FILE / (1024 * 1024)),
        )
    };
    if meta.len() > MAX_NAMED_FILE {
        return Err(too_big());
    }
    let mut out = Vec::with_capacity(meta.len() as usize);
    // The size may change between the check and the read (a growing file): stop past the limit.
    fs::File::open(path)?.take(MAX_NAMED_FILE + 1).read_to_end(&mut out)?;
    if out.len() as u64 > MAX_NAMED_FILE {
        return Err(too_big());
    }
    Ok(out)
}

/// Writes `bytes` to `path` atomically: a temporary file in the same folder is written, flushed
/// to disk and renamed over `path`. On any failure the temporary file is removed and `path` is
/// left as it was.
///
/// A symbolic link is written through (its target is replaced, the link stays), and a file that
/// exists keeps its permissions: rewriting a policy in place must not widen who can read it.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    stage(path, bytes)?.commit()
}

/// The first half of [`write_atomic`]: the temporary file written and flushed to disk, `path` not
/// touched yet. [`Staged::commit`] renames it into place; dropping it instead removes it. So the
/// slow flush can overlap work that decides whether the file is wanted at all.
pub fn stage(path: &Path, bytes: &[u8]) -> io::Result<Staged> {
    let path = final_target(path)?;
    let tmp = sibling(&path, "tmp")?;
    let staged = Staged { path, tmp };
    write_new(&staged.tmp, bytes)?;
    Ok(staged)
}

/// A written temporary file waiting to replace its target (see [`stage`]).
#[derive(Debug)]
pub struct Staged {
    path: std::path::PathBuf,
    tmp: std::path::PathBuf,
}

impl Staged {
    /// Renames the temporary file over the target, with the permissions of the file it replaces.
    pub fn commit(self) -> io::Result<()> {
        keep_permissions(&self.path, &self.tmp)?;
        fs::rename(&self.tmp, &self.path)?;
        // Renamed: nothing left for `drop` to remove.
        std::mem::forget(self);
        Ok(())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.tmp);
    }
}

/// Writes several files as one artifact (`build`'s XML and binary): every file is written to a
/// temporary file first, so a failed write (full disk, size limit) changes none of them; then the
/// temporary files are renamed into place in order, and if a rename fails the files already
/// replaced get their previous content back (kept meanwhile as a hard link, or a copy where the
/// file system has no hard links) and files that did not exist are removed. Only a crash between
/// two renames can leave a mixed set.
pub fn write_all_atomic(files: &[(&Path, &[u8])]) -> io::Result<()> {
    let mut temps: Vec<std::path::PathBuf> = Vec::with_capacity(files.len());
    let mut backups: Vec<Option<std::path::PathBuf>> = Vec::with_capacity(files.len());
    let cleanup = |temps: &[std::path::PathBuf], backups: &[Option<std::path::PathBuf>]| {
        for t in temps {
            let _ = fs::remove_file(t);
        }
        for b in backups.iter().flatten() {
            let _ = fs::remove_file(b);
        }
    };
    let targets = files
        .iter()
        .map(|(p, b)| final_target(p).map(|t| (t, *b)))
        .collect::<io::Result<Vec<_>>>()?;
    let files: Vec<(&Path, &[u8])> = targets.iter().map(|(p, b)| (p.as_path(), *b)).collect();
    for (path, bytes) in &files {
        let tmp = sibling(path, "tmp")?;
        if let Err(e) = write_new(&tmp, bytes).and_then(|()| keep_permissions(path, &tmp)) {
            let _ = fs::remove_file(&tmp);
            cleanup(&temps, &backups);
            return Err(e);
        }
        temps.push(tmp);
    }
    for (path, _) in &files {
        let backup = match fs::symlink_metadata(path) {
            Ok(m) if m.is_file() => {
                let b = match sibling(path, "bak") {
                    Ok(b) => b,
                    Err(e) => {
                        cleanup(&temps, &backups);
                        return Err(e);
                    }
                };
                let kept = fs::hard_link(path, &b).or_else(|_| fs::copy(path, &b).map(|_| ()));
                if let Err(e) = kept {
                    let _ = fs::remove_file(&b);
                    cleanup(&temps, &backups);
                    return Err(e);
                }
                Some(b)
            }
            _ => None,
        };
        backups.push(backup);
    }
    for (i, ((path, _), tmp)) in files.iter().zip(&temps).enumerate() {
        if let Err(e) = fs::rename(tmp, path) {
            for ((done, _), backup) in files[..i].iter().zip(&backups) {
                match backup {
                    Some(b) => {
                        let _ = fs::rename(b, done);
                    }
                    None => {
                        let _ = fs::remove_file(done);
                    }
                }
            }
            cleanup(&temps[i..], &backups);
            return Err(e);
        }
    }
    cleanup(&[], &backups);
    Ok(())
}

/// The file a write to `path` must replace: `path` itself, or for a symbolic link (a chain of
/// them) the file it points to, which may not exist yet.
fn final_target(path: &Path) -> io::Result<std::path::PathBuf> {
    let mut p = path.to_path_buf();
    // A bound, so a link loop is an error rather than a hang.
    for _ in 0..40 {
        match fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => {
                let link = fs::read_link(&p)?;
                p = match p.parent() {
                    Some(dir) if link.is_relative() => dir.join(link),
                    _ => link,
                };
            }
            _ => return Ok(p),
        }
    }
    Err(io::Error::new(
        io::ErrorKind::InvalidInput,
        "too many levels of symbolic links",
    ))
}

/// Gives the new file the permissions of the file it replaces, when there is one.
fn keep_permissions(path: &Path, tmp: &Path) -> io::Result<()> {
    match fs::metadata(path) {
        Ok(m) if m.is_file() => fs::set_permissions(tmp, m.permissions()),
        _ => Ok(()),
    }
}

/// `.NAME.PID.EXT` beside `path`: hidden, unique to this process, in the same folder (a rename
/// across file systems would not be atomic).
fn sibling(path: &Path, ext: &str) -> io::Result<std::path::PathBuf> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "output path names no file"))?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(".{}.{ext}", std::process::id()));
    Ok(dir.join(tmp_name))
}

fn write_new(tmp: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut f = fs::OpenOptions::new().write(true).create_new(true).open(tmp)?;
    f.write_all(bytes)?;
    f.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_staged_file_replaces_its_target_only_when_committed() {
        let dir = std::env::temp_dir().join(format!("cipolicy-fsio-stage-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let target = dir.join("out.cip");
        fs::write(&target, b"old").unwrap();
        let leftovers = || fs::read_dir(&dir).unwrap().count();
        drop(stage(&target, b"dropped").unwrap());
        assert_eq!(fs::read(&target).unwrap(), b"old");
        assert_eq!(leftovers(), 1, "a dropped stage leaves no temporary file");
        let staged = stage(&target, b"new").unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"old", "staging does not touch the target");
        staged.commit().unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"new");
        assert_eq!(leftovers(), 1);
        let _ = fs::remove_dir_all(&dir);
    }

    #[cfg(unix)]
    #[test]
    fn keeps_permissions_and_writes_through_links() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("cipolicy-fsio-perm-{}", std::process::id()));
        fs::create_dir_all(dir.join("real")).unwrap();
        let target = dir.join("real/policy.xml");
        fs::write(&target, b"old").unwrap();
        fs::set_permissions(&target, fs::Permissions::from_mode(0o600)).unwrap();
        write_atomic(&target, b"new").unwrap();
        assert_eq!(fs::metadata(&target).unwrap().permissions().mode() & 0o777, 0o600);
        // Through a relative link, and a link to a link: the links stay, the target changes.
        let link = dir.join("link.xml");
        std::os::unix::fs::symlink("real/policy.xml", &link).unwrap();
        let link2 = dir.join("link2.xml");
        std::os::unix::fs::symlink(&link, &link2).unwrap();
        write_atomic(&link2, b"through").unwrap();
        assert!(fs::symlink_metadata(&link2).unwrap().file_type().is_symlink());
        assert!(fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
        assert_eq!(fs::read(&target).unwrap(), b"through");
        assert_eq!(fs::metadata(&target).unwrap().permissions().mode() & 0o777, 0o600);
        write_all_atomic(&[(&link, b"set".as_slice())]).unwrap();
        assert!(fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
        assert_eq!(fs::read(&target).unwrap(), b"set");
        // A loop is an error, not a hang.
        std::os::unix::fs::symlink(dir.join("loop-b"), dir.join("loop-a")).unwrap();
        std::os::unix::fs::symlink(dir.join("loop-a"), dir.join("loop-b")).unwrap();
        assert!(write_atomic(&dir.join("loop-a"), b"x").is_err());
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn replaces_and_cleans_up() {
        let dir = std::env::temp_dir().join(format!("cipolicy-fsio-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let p = dir.join("out.bin");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"two");
        // A directory in the way makes the rename fail: the old content must survive.
        let blocked = dir.join("blocked");
        fs::create_dir_all(blocked.join("child")).unwrap();
        assert!(write_atomic(&blocked, b"x").is_err());
        assert!(blocked.is_dir());
        let leftovers: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty());
        fs::remove_dir_all(&dir).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn named_files_must_be_regular() {
        assert!(read_named(Path::new("/dev/zero")).is_err());
        assert!(read_named(Path::new("/")).is_err());
        let f = std::env::temp_dir().join(format!("cipolicy-fsio-named-{}", std::process::id()));
        fs::write(&f, b"x").unwrap();
        assert_eq!(read_named(&f).unwrap(), b"x");
        fs::remove_file(&f).unwrap();
    }

    #[test]
    fn a_failed_rename_in_a_set_restores_the_files_already_replaced() {
        let dir = std::env::temp_dir().join(format!("cipolicy-fsio-all-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        let (a, b, c) = (dir.join("a.xml"), dir.join("new.txt"), dir.join("b.cip"));
        fs::write(&a, b"old a").unwrap();
        write_all_atomic(&[(&a, b"new a"), (&c, b"new c")]).unwrap();
        assert_eq!(fs::read(&a).unwrap(), b"new a");
        fs::remove_file(&c).unwrap();
        // `c` is a non-empty folder: its rename fails after `a` and `b` were replaced.
        fs::create_dir_all(c.join("child")).unwrap();
        assert!(write_all_atomic(&[(&a, b"newer a"), (&b, b"b"), (&c, b"c")]).is_err());
        assert_eq!(fs::read(&a).unwrap(), b"new a");
        assert!(!b.exists());
        assert!(c.join("child").is_dir());
        let mut names: Vec<String> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["a.xml", "b.cip"]);
        fs::remove_dir_all(&dir).unwrap();
    }
}
