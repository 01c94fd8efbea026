//! `dcssctl populate`: an ext2/ext4 file system built from a host directory with
//! `mke2fs -d` (e2fsprogs; needs no root and no loop device), stored as a segment's contents.

use std::fs::{self, File};
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::catalog::CatalogLock;
use crate::error::{Error, IoContext, Result};
use crate::segment_file::{SegmentName, PAGE_SIZE};

/// dcssblk exposes 4 KiB blocks, and ext2 DAX needs the block size to equal the page size.
const FS_BLOCK_SIZE: u64 = 4096;

/// The file systems `populate --fs` builds; clap spells them `ext2` and `ext4`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum FsType {
    #[default]
    Ext2,
    Ext4,
}

impl FsType {
    /// The name mke2fs -t takes.
    pub fn as_str(self) -> &'static str {
        match self {
            FsType::Ext2 => "ext2",
            FsType::Ext4 => "ext4",
        }
    }
}

/// Replaces the contents of segment `name` with a file system holding a copy of `source`.
/// The file system spans the whole segment; runs under the catalog lock from start to end.
pub fn populate(lock: &CatalogLock, name: &SegmentName, source: &Path, fs: FsType) -> Result<()> {
    let layout = lock.catalog().open(name)?.layout;
    let capacity = layout.data_len();
    let tree = measure_tree(source)?;
    if tree.min_blocks * FS_BLOCK_SIZE > capacity {
        return Err(Error::SourceTooBig {
            name: name.to_string(),
            capacity,
            detail: format!(
                "{} needs at least {} bytes",
                source.display(),
                tree.min_blocks * FS_BLOCK_SIZE
            ),
        });
    }

    let image = ScratchFile(lock.temp_path(name, Some("img")));
    let shown = || image.0.display().to_string();
    File::create(&image.0)
        .and_then(|f| f.set_len(capacity))
        .context(|| format!("creating {}", shown()))?;
    let blocks = capacity / FS_BLOCK_SIZE;
    // One inode per 16 KiB (mke2fs's default ratio) but never fewer than the tree needs: the
    // defaults for tiny file systems run out of inodes long before they run out of blocks.
    let inodes = (tree.entries + 64).max(blocks / 4);
    let output = Command::new(mke2fs_path())
        .args(["-q", "-F", "-t", fs.as_str(), "-m", "0"])
        .args(["-b", &FS_BLOCK_SIZE.to_string(), "-N", &inodes.to_string()])
        .args(["-L", name.as_str()])
        .arg("-d")
        .arg(source)
        .arg(&image.0)
        .arg(blocks.to_string())
        .output()
        .map_err(|e| Error::Mke2fs(format!("cannot run mke2fs ({e}); install e2fsprogs")))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let detail = stderr.trim().replace('\n', "; ");
        return Err(if is_out_of_space(&stderr) {
            Error::SourceTooBig {
                name: name.to_string(),
                capacity,
                detail: format!("mke2fs: {detail}"),
            }
        } else {
            Error::Mke2fs(format!("{} ({detail})", output.status))
        });
    }
    let mut built = File::open(&image.0).context(|| format!("opening {}", shown()))?;
    lock.replace_contents(name, &mut built, Some(capacity))
}

/// Messages of mke2fs -d when the blocks or inodes of the new file system run out.
fn is_out_of_space(stderr: &str) -> bool {
    ["Could not allocate", "No space left", "No free space"]
        .iter()
        .any(|message| stderr.contains(message))
}

/// mke2fs lives in /sbin or /usr/sbin, which an ordinary user's PATH often lacks.
fn mke2fs_path() -> PathBuf {
    let in_path = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .unwrap_or_default();
    in_path
        .into_iter()
        .chain(["/usr/sbin", "/sbin"].map(PathBuf::from))
        .map(|dir| dir.join("mke2fs"))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| PathBuf::from("mke2fs"))
}

/// Removes the mke2fs image however populate ends.
struct ScratchFile(PathBuf);

impl Drop for ScratchFile {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.0);
    }
}

struct TreeSize {
    /// Inodes the tree needs (files, directories, links, ...).
    entries: u64,
    /// A lower bound of the data blocks: file contents plus one block per directory. Metadata
    /// comes on top, so a tree above this bound certainly does not fit; below it mke2fs decides.
    min_blocks: u64,
}

fn measure_tree(root: &Path) -> Result<TreeSize> {
    let meta = fs::metadata(root).context(|| format!("source directory {}", root.display()))?;
    if !meta.is_dir() {
        return Err(Error::Io {
            context: format!("source directory {}", root.display()),
            source: io::Error::new(io::ErrorKind::InvalidInput, "not a directory"),
        });
    }
    let mut size = TreeSize {
        entries: 1,
        min_blocks: 1,
    };
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let entries = fs::read_dir(&dir).context(|| format!("reading {}", dir.display()))?;
        for entry in entries {
            let entry = entry.context(|| format!("reading {}", dir.display()))?;
            let meta = entry
                .metadata() // does not follow symlinks, like mke2fs -d
                .context(|| format!("examining {}", entry.path().display()))?;
            size.entries += 1;
            if meta.is_dir() {
                size.min_blocks += 1;
                pending.push(entry.path());
            } else if meta.is_file() {
                // Sparse files stay sparse in the image, so count what is allocated.
                let allocated = meta.blocks() * 512;
                size.min_blocks += meta.len().min(allocated).div_ceil(PAGE_SIZE);
            }
        }
    }
    Ok(size)
}
