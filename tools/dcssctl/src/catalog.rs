//! The segment catalog as specified in README.md, "Segment catalog format": one host directory holding one
//! `NAME.seg` file per saved segment (4 KiB text header, then the segment contents), a `.lock`
//! file that serialises writers, and `*.tmp` files for versions being written.
//!
//! Loaders (the QEMU DIAG X'64' code) open `NAME.seg` without the lock, so every change here
//! produces a complete new file and `rename(2)`s it into place: a guest that has the old version
//! mapped keeps the old inode, just as z/VM keeps a superseded copy for its current users.
//!
//! What is inside a `NAME.seg` (names, page ranges, header, contents) is `segment_file`'s part;
//! this module stores such files: the directory, the lock and the replacement of versions.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use crate::error::{Error, IoContext, Result};
use crate::segment_file::{write_contents, Segment, SegmentLayout, SegmentName, SEGMENT_SUFFIX};

/// The writers' lock file inside the catalog directory.
pub const LOCK_FILE: &str = ".lock";

/// One catalog entry found by `Catalog::list`.
#[derive(Debug)]
pub struct ListEntry {
    pub file_name: String,
    pub segment: Result<(SegmentName, SegmentLayout)>,
}

/// A catalog directory.
#[derive(Clone, Debug)]
pub struct Catalog {
    dir: PathBuf,
}

impl Catalog {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Catalog { dir: dir.into() }
    }

    pub fn segment_path(&self, name: &SegmentName) -> PathBuf {
        self.dir.join(name.file_name())
    }

    /// Opens `NAME.seg` and checks its header and length.
    pub fn open(&self, name: &SegmentName) -> Result<Segment> {
        let path = self.segment_path(name);
        match File::open(&path) {
            Ok(file) => Segment::from_file(path, file),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                Err(Error::UnknownSegment(name.to_string()))
            }
            Err(e) => Err(e).context(|| format!("opening {}", path.display())),
        }
    }

    /// Every `*.seg` file, sorted by file name, each parsed or with the reason it is unusable.
    pub fn list(&self) -> Result<Vec<ListEntry>> {
        let entries = match fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(Error::NoCatalog(self.dir.clone()))
            }
            Err(e) => return Err(e).context(|| format!("reading {}", self.dir.display())),
        };
        let mut found = Vec::new();
        for entry in entries {
            let entry = entry.context(|| format!("reading {}", self.dir.display()))?;
            let Ok(file_name) = entry.file_name().into_string() else {
                continue;
            };
            let Some(stem) = file_name.strip_suffix(SEGMENT_SUFFIX) else {
                continue;
            };
            let segment = match SegmentName::parse(stem) {
                // Loaders look up the upper-case file name only, so "foo.seg" is never loaded.
                Ok(name) if name.as_str() == stem => self.open(&name).map(|s| (name, s.layout)),
                _ => Err(Error::BadName(stem.to_string())),
            };
            found.push(ListEntry { file_name, segment });
        }
        found.sort_by(|a, b| a.file_name.cmp(&b.file_name));
        Ok(found)
    }

    /// Takes the writers' lock, creating the catalog directory and `.lock` if needed (DEFSEG
    /// into a new catalog). Blocks while another writer (dcssctl or an emulated CP SAVESEG)
    /// holds it.
    pub fn create_and_lock(&self) -> Result<CatalogLock<'_>> {
        fs::create_dir_all(&self.dir).context(|| format!("creating {}", self.dir.display()))?;
        self.lock()
    }

    /// Takes the writers' lock of an existing catalog; see `create_and_lock`.
    pub fn lock(&self) -> Result<CatalogLock<'_>> {
        if !self.dir.is_dir() {
            return Err(Error::NoCatalog(self.dir.clone()));
        }
        let path = self.dir.join(LOCK_FILE);
        // flock needs no write access: read-only lets writers of other users share the file.
        let file = match File::open(&path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path),
            other => other,
        }
        .context(|| format!("opening {}", path.display()))?;
        file.lock()
            .context(|| format!("locking {}", path.display()))?;
        let lock = CatalogLock {
            catalog: self,
            _file: file,
        };
        lock.remove_stale_temporaries();
        Ok(lock)
    }
}

/// Proof that this process holds `flock(DIR/.lock, LOCK_EX)`; all catalog changes go through it.
/// Dropping it closes the file, which releases the lock.
#[derive(Debug)]
pub struct CatalogLock<'a> {
    catalog: &'a Catalog,
    _file: File,
}

impl CatalogLock<'_> {
    pub fn catalog(&self) -> &Catalog {
        self.catalog
    }

    /// `DIR/NAME.seg.<pid>.tmp`, or `DIR/NAME.seg.<pid>.<tag>.tmp` for scratch files.
    pub fn temp_path(&self, name: &SegmentName, tag: Option<&str>) -> PathBuf {
        let pid = std::process::id();
        let file = match tag {
            Some(tag) => format!("{}.{pid}.{tag}.tmp", name.file_name()),
            None => format!("{}.{pid}.tmp", name.file_name()),
        };
        self.catalog.dir.join(file)
    }

    /// Removes `NAME.seg.<pid>[.<tag>].tmp` files of writers that died mid-change. Writers hold
    /// the lock while their temporary files exist, so under the lock a temporary whose process is
    /// gone is garbage. Best effort: leftovers cost disk space, not correctness.
    fn remove_stale_temporaries(&self) {
        if !Path::new("/proc/self").exists() {
            return; // cannot tell live processes from dead ones
        }
        let Ok(entries) = fs::read_dir(&self.catalog.dir) else {
            return;
        };
        for entry in entries.flatten() {
            let file_name = entry.file_name();
            let Some(file_name) = file_name.to_str() else {
                continue;
            };
            let pid = file_name
                .strip_suffix(".tmp")
                .and_then(|rest| rest.split_once(".seg."))
                .and_then(|(_, rest)| rest.split('.').next())
                .and_then(|pid| pid.parse::<u32>().ok());
            if let Some(pid) = pid {
                if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
                    let _ = fs::remove_file(entry.path());
                }
            }
        }
    }

    /// DEFSEG: creates or replaces `NAME.seg` with all-zero contents (a sparse file).
    pub fn define(&self, name: &SegmentName, layout: &SegmentLayout) -> Result<()> {
        self.write_version(name, layout, |_| Ok(()))
    }

    /// Replaces the contents of an existing segment with `source` (zero-padded to the segment
    /// size), keeping its page ranges. Fails if `source` is larger than the segment or puts
    /// non-zero bytes into a range that saves no data: the guest would not see them.
    /// `size`, when known in advance, lets an oversized source fail before anything is copied.
    pub fn replace_contents(
        &self,
        name: &SegmentName,
        source: &mut dyn Read,
        size: Option<u64>,
    ) -> Result<()> {
        let layout = self.catalog.open(name)?.layout;
        if let Some(size) = size.filter(|&size| size > layout.data_len()) {
            return Err(Error::DataTooBig {
                name: name.to_string(),
                capacity: layout.data_len(),
                size: Some(size),
            });
        }
        self.write_version(name, &layout, |file| {
            write_contents(name, &layout, source, file)
        })
    }

    /// PURGE NSS: unlinks `NAME.seg`. Guests that have it loaded keep their open inode.
    pub fn purge(&self, name: &SegmentName) -> Result<()> {
        let path = self.catalog.segment_path(name);
        match fs::remove_file(&path) {
            Ok(()) => sync_dir(&self.catalog.dir),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                Err(Error::UnknownSegment(name.to_string()))
            }
            Err(e) => Err(e).context(|| format!("removing {}", path.display())),
        }
    }

    /// Writes a complete new version to `NAME.seg.<pid>.tmp` (header, sparse zero contents, then
    /// whatever `fill` writes into the contents), fsyncs it and renames it over `NAME.seg`.
    fn write_version(
        &self,
        name: &SegmentName,
        layout: &SegmentLayout,
        fill: impl FnOnce(&File) -> Result<()>,
    ) -> Result<()> {
        let tmp = self.temp_path(name, None);
        let target = self.catalog.segment_path(name);
        let result = (|| {
            let shown = || tmp.display().to_string();
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(true)
                .open(&tmp)
                .context(|| format!("creating {}", shown()))?;
            file.write_all_at(&layout.header(), 0)
                .context(|| format!("writing {}", shown()))?;
            file.set_len(layout.file_len())
                .context(|| format!("sizing {}", shown()))?;
            fill(&file)?;
            file.sync_all().context(|| format!("syncing {}", shown()))?;
            fs::rename(&tmp, &target).context(|| format!("renaming {} into place", shown()))?;
            sync_dir(&self.catalog.dir)
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result
    }
}

/// Makes a rename or unlink in `dir` durable.
fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .context(|| format!("syncing directory {}", dir.display()))
}
