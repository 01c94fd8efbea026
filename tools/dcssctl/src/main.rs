//! dcssctl: manages the segment catalog that the QEMU z/VM emulation loads DCSSs from (the
//! host-side equivalent of CP's DEFSEG/SAVESEG, PURGE NSS and QUERY NSS MAP).

mod catalog;
mod error;
mod list_json;
mod nssmap;
mod populate;
mod segment_file;

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand, ValueHint};
use clap_complete::Shell;

use catalog::Catalog;
use error::{Error, IoContext};
use populate::FsType;
use segment_file::{SegmentLayout, SegmentName};

// Help texts, hard-wrapped at 80 columns. Notes that several commands share are macros so that
// concat! can put them into each command's text.

macro_rules! locking {
    () => {
        "Takes DIR/.lock, waiting while another writer holds it, and replaces NAME.seg
atomically (rename): guests that have the old version loaded keep it."
    };
}

macro_rules! exit_status {
    () => {
        "Exit status: 0 success, 1 error, 2 usage error."
    };
}

const MAIN_AFTER_HELP: &str = concat!(
    "\
The catalog DIR holds one NAME.seg file per segment; format: README.md, section
'Segment catalog format'.
NAME is 1-8 characters of A-Z 0-9 @ # $ _ - (case-insensitive).
Changes take DIR/.lock and replace NAME.seg atomically (rename).
'dcssctl COMMAND --help' describes each command.

",
    exit_status!()
);

const NAME_HELP: &str = "Segment name (1-8 characters of A-Z 0-9 @ # $ _ -, any case)";

const DEFSEG_USAGE: &str = "dcssctl defseg [OPTIONS] <NAME> <RANGE> <TYPE> [<RANGE> <TYPE>]...";

const DEFSEG_AFTER_HELP: &str = concat!(
    "\
RANGE is CP DEFSEG syntax, hex pages: 20000-2FFFF (addresses 0x20000000 to
0x2FFFFFFF). TYPE is SW EW SR ER SN EN or SC (case-insensitive). Up to 6
contiguous ascending ranges; the segment begins and ends on a 1 MiB boundary
(pages xxx00-xxxFF); highest page 7FFFFFF (512 GiB).

SN EN and SC ranges save no data: they export as zeros, and import/populate
refuse data that would land in them.

Creates DIR if it does not exist (the other commands refuse a missing DIR).
",
    locking!(),
    "

Examples:
  dcssctl defseg APPS 40000-43FFF SR     64 MiB at 1 GiB, shared read-only
  dcssctl defseg WORK 50000-500FF EW 50100-501FF EN"
);

const POPULATE_AFTER_HELP: &str = concat!(
    "\
The file system (4 KiB blocks, volume label NAME) spans the whole segment; it is
built with mke2fs -d (e2fsprogs; needs no root and no loop device). The page
ranges stay as they are. Refused: a SRCDIR too big for the segment, and a file
system that would put data into an SN EN or SC range (they save no data).

",
    locking!()
);

const LIST_AFTER_HELP: &str = concat!(
    "\
Host-side stand-ins for what only CP knows: FILE is the segment's position in
the listing, CL is always A, and MINSIZE #USERS PARMREGS VMGROUP are N/A.

--json prints one JSON array instead, an object per segment, for example
  [{\"name\": \"MIXED\", \"size\": 2097152, \"ranges\": [
     {\"first_page\": \"20000\", \"last_page\": \"200FF\", \"type\": \"EW\"},
     {\"first_page\": \"20100\", \"last_page\": \"201FF\", \"type\": \"EN\"}]}]
Pages are hex in DEFSEG notation; size is the bytes of contents (what export
writes).

Reads without the lock. An unusable *.seg file is reported on stderr and left
out, the others are still listed, and the exit status is 1.

",
    exit_status!()
);

const PURGE_AFTER_HELP: &str = "\
Takes DIR/.lock, waiting while another writer holds it, and unlinks NAME.seg.";

const EXPORT_AFTER_HELP: &str = "\
SN EN and SC ranges save no data: they export as zeros whatever the file holds.
Reads without the lock, as a loader does: the open file is one consistent
version.";

const IMPORT_AFTER_HELP: &str = concat!(
    "\
FILE must not be larger than the segment; the page ranges stay as they are. SN
EN and SC ranges save no data: data that would land in them is refused (zeros
are fine).

",
    locking!()
);

const COMPLETIONS_AFTER_HELP: &str = "\
For example:
  dcssctl completions bash >~/.local/share/bash-completion/completions/dcssctl
  dcssctl completions zsh >~/.zfunc/_dcssctl   (fpath+=~/.zfunc before compinit)
  dcssctl completions fish >~/.config/fish/completions/dcssctl.fish";

#[derive(Debug, Parser)]
#[command(
    name = "dcssctl",
    version,
    about = "Manages the segment catalog (emulated z/VM saved segments, DCSSs) in DIR",
    after_help = MAIN_AFTER_HELP,
)]
struct Cli {
    /// Catalog directory [default: $DCSS_DIR, else ./segments]
    #[arg(long, global = true, value_name = "DIR", value_hint = ValueHint::DirPath)]
    dir: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create NAME, or a new version of it, with zeroed contents
    #[command(override_usage = DEFSEG_USAGE, after_help = DEFSEG_AFTER_HELP)]
    Defseg {
        #[arg(help = NAME_HELP)]
        name: String,
        /// Page ranges, each followed by its type: up to 6 pairs
        // One list rather than pairs, so that a range without a type is the catalog's error
        // ("page range '...' has no type", exit status 1), like every other range error.
        #[arg(value_name = "RANGE TYPE", num_args = 1.., required = true)]
        ranges: Vec<String>,
    },
    /// Fill NAME with a new ext2/ext4 file system copied from SRCDIR
    #[command(after_help = POPULATE_AFTER_HELP)]
    Populate {
        #[arg(help = NAME_HELP)]
        name: String,
        /// The directory tree to copy into the file system
        #[arg(long, value_name = "SRCDIR", value_hint = ValueHint::DirPath)]
        from: PathBuf,
        /// File system
        #[arg(long, value_enum, default_value_t)]
        fs: FsType,
    },
    /// Show the catalog like CP QUERY NSS MAP
    #[command(after_help = LIST_AFTER_HELP)]
    List {
        /// Print the catalog as JSON (schema below)
        #[arg(long)]
        json: bool,
    },
    /// Remove NAME; guests that have it loaded keep their copy
    #[command(after_help = PURGE_AFTER_HELP)]
    Purge {
        #[arg(help = NAME_HELP)]
        name: String,
    },
    /// Write NAME's contents (without the header) to FILE, - for stdout
    #[command(after_help = EXPORT_AFTER_HELP)]
    Export {
        #[arg(help = NAME_HELP)]
        name: String,
        /// Where to write the contents; - for stdout
        #[arg(value_hint = ValueHint::FilePath)]
        file: PathBuf,
    },
    /// Replace NAME's contents with FILE (zero-padded), - for stdin
    #[command(after_help = IMPORT_AFTER_HELP)]
    Import {
        #[arg(help = NAME_HELP)]
        name: String,
        /// The new contents; - for stdin
        #[arg(value_hint = ValueHint::FilePath)]
        file: PathBuf,
    },
    /// Print a completion script for SHELL to stdout
    #[command(after_help = COMPLETIONS_AFTER_HELP)]
    Completions { shell: Shell },
}

fn catalog_dir(explicit: Option<PathBuf>) -> PathBuf {
    explicit
        .or_else(|| {
            std::env::var_os("DCSS_DIR")
                .filter(|d| !d.is_empty())
                .map(PathBuf::from)
        })
        .unwrap_or_else(|| PathBuf::from("segments"))
}

/// What went wrong carrying out a command (usage errors are clap's, before anything runs).
enum Failure {
    Catalog(Error),
    /// `list` printed what it could but some files are unusable (already reported).
    PartialList,
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Catalog(e)
    }
}

/// `-` stands for stdin or stdout.
fn is_stdio(file: &Path) -> bool {
    file.as_os_str() == "-"
}

fn write_stdout(text: &[u8]) -> Result<(), Error> {
    let mut stdout = io::stdout().lock();
    stdout
        .write_all(text)
        .and_then(|()| stdout.flush())
        .context(|| "writing to stdout".into())
}

fn run(cli: Cli) -> Result<(), Failure> {
    let catalog = Catalog::new(catalog_dir(cli.dir));
    match cli.command {
        Command::Defseg { name, ranges } => {
            let name = SegmentName::parse(&name)?;
            let layout = SegmentLayout::from_defseg_args(&ranges)?;
            catalog.create_and_lock()?.define(&name, &layout)?;
        }
        Command::Populate { name, from, fs } => {
            let name = SegmentName::parse(&name)?;
            populate::populate(&catalog.lock()?, &name, &from, fs)?;
        }
        Command::List { json } => {
            let mut usable = Vec::new();
            let mut all_usable = true;
            for entry in catalog.list()? {
                match entry.segment {
                    Ok(segment) => usable.push(segment),
                    Err(e) => {
                        all_usable = false;
                        eprintln!("dcssctl: skipping {}: {e}", entry.file_name);
                    }
                }
            }
            let text = if json {
                list_json::render(&usable)
            } else {
                nssmap::render(&usable)
            };
            write_stdout(text.as_bytes())?;
            if !all_usable {
                return Err(Failure::PartialList);
            }
        }
        Command::Purge { name } => {
            let name = SegmentName::parse(&name)?;
            catalog.lock()?.purge(&name)?;
        }
        Command::Export { name, file } => {
            let name = SegmentName::parse(&name)?;
            // Like a loader: no lock, the open file is one consistent version.
            let segment = catalog.open(&name)?;
            if is_stdio(&file) {
                segment.export(&mut BufWriter::new(io::stdout().lock()))?;
            } else {
                let shown = || file.display().to_string();
                let out = File::create(&file).context(|| format!("creating {}", shown()))?;
                segment.export(&mut BufWriter::new(out))?;
            }
        }
        Command::Import { name, file } => {
            let name = SegmentName::parse(&name)?;
            let (mut source, size): (Box<dyn Read>, _) = if is_stdio(&file) {
                (Box::new(io::stdin().lock()), None)
            } else {
                let shown = || file.display().to_string();
                let input = File::open(&file).context(|| format!("opening {}", shown()))?;
                let meta = input
                    .metadata()
                    .context(|| format!("examining {}", shown()))?;
                (Box::new(input), meta.is_file().then_some(meta.len()))
            };
            catalog.lock()?.replace_contents(&name, &mut source, size)?;
        }
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "dcssctl", &mut script);
            write_stdout(&script)?;
        }
    }
    Ok(())
}

/// `--help` and `--version` go to stdout with exit status 0. Usage errors go to stderr with
/// exit status 2, as `dcssctl: MESSAGE` like every other error (clap's "error: " prefix
/// replaced, so uncoloured), followed by clap's usage line. `dcssctl` alone is a usage error
/// too, for which clap shows the help (on stderr).
fn report_parse_error(e: clap::Error) -> ExitCode {
    if !e.use_stderr() {
        // Nothing sensible is left to do if stdout is gone.
        let _ = e.print();
        return ExitCode::SUCCESS;
    }
    let text = e.render().to_string();
    match text.strip_prefix("error: ") {
        Some(message) => eprint!("dcssctl: {message}"),
        None => eprint!("{text}"),
    }
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return report_parse_error(e),
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Catalog(e)) => {
            eprintln!("dcssctl: {e}");
            ExitCode::FAILURE
        }
        Err(Failure::PartialList) => ExitCode::FAILURE,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_line_definition_is_consistent() {
        // clap's own checks (conflicting names, bad value counts, ...), which otherwise run only
        // when a test happens to parse the offending part.
        Cli::command().debug_assert();
    }

    #[test]
    fn defseg_takes_its_ranges_as_one_list() {
        let cli = Cli::try_parse_from(["dcssctl", "defseg", "x", "0-FF", "SW", "100-1FF"]).unwrap();
        match cli.command {
            Command::Defseg { name, ranges } => {
                assert_eq!(name, "x");
                assert_eq!(ranges, ["0-FF", "SW", "100-1FF"]);
            }
            other => panic!("parsed as {other:?}"),
        }
    }

    #[test]
    fn dir_is_global() {
        for args in [
            &["dcssctl", "--dir", "D", "list"][..],
            &["dcssctl", "list", "--dir", "D"],
            &["dcssctl", "--dir=D", "list"],
        ] {
            let cli = Cli::try_parse_from(args).unwrap();
            assert_eq!(cli.dir.as_deref(), Some(Path::new("D")), "{args:?}");
        }
    }
}
