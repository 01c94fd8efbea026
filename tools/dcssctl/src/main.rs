//! dcssctl: manages the segment catalog that the QEMU z/VM emulation loads DCSSs from (the
//! host-side equivalent of CP's DEFSEG/SAVESEG, PURGE NSS and QUERY NSS MAP).

mod catalog;
mod nssmap;
mod populate;

use std::ffi::OsString;
use std::fs::File;
use std::io::{self, BufWriter, Read};
use std::path::PathBuf;
use std::process::ExitCode;

use catalog::{Catalog, Error, IoContext, SegmentLayout, SegmentName};
use populate::FsType;

const USAGE: &str = "\
Usage: dcssctl [--dir DIR] COMMAND ...

Manages the segment catalog (emulated z/VM saved segments, DCSSs) in DIR; the
default is $DCSS_DIR, else ./segments. Format: README.md, section 'Segment catalog format'.

Commands:
  defseg NAME RANGE TYPE [RANGE TYPE ...]
        Create NAME, or replace it by a new version, with zeroed contents.
        RANGE is CP DEFSEG syntax, hex pages: 20000-2FFFF (addresses 0x20000000 to
        0x2FFFFFFF). TYPE is SW EW SR ER SN EN or SC. Up to 6 contiguous ascending
        ranges; the segment begins and ends on a 1 MiB boundary (pages
        xxx00-xxxFF); highest page 7FFFFFF.
  populate NAME --from SRCDIR [--fs ext2|ext4]
        Replace the contents of NAME with a new file system (default ext2, 4 KiB
        blocks) holding a copy of SRCDIR, built with mke2fs -d.
  list  Show the catalog like CP QUERY NSS MAP.
  purge NAME
        Remove NAME. Guests that have it loaded keep their copy.
  export NAME FILE
        Write the contents of NAME (without the header) to FILE (- for stdout).
  import NAME FILE
        Replace the contents of NAME with FILE (- for stdin), zero-padded; FILE
        must not be larger than the segment.

NAME is 1-8 characters of A-Z 0-9 @ # $ _ - (case-insensitive).
SN EN and SC ranges save no data: they export as zeros, and import/populate
refuse data that would land in them.
Changes take DIR/.lock and replace NAME.seg atomically (rename).
Exit status: 0 success, 1 error, 2 usage error.
";

/// A command line that cannot be understood (exit status 2).
struct UsageError(String);

/// The parsed command line.
struct Invocation {
    dir: Option<PathBuf>,
    from: Option<PathBuf>,
    fs: Option<String>,
    help: bool,
    /// Command and operands.
    words: Vec<String>,
}

fn parse_args(args: impl IntoIterator<Item = OsString>) -> Result<Invocation, UsageError> {
    let mut inv = Invocation {
        dir: None,
        from: None,
        fs: None,
        help: false,
        words: Vec::new(),
    };
    let mut args = args.into_iter();
    let mut options_done = false;
    while let Some(arg) = args.next() {
        let text = arg
            .to_str()
            .ok_or_else(|| UsageError(format!("argument {arg:?} is not valid UTF-8")))?
            .to_string();
        if options_done || text == "-" || !text.starts_with('-') {
            inv.words.push(text);
            continue;
        }
        let (option, inline_value) = match text.split_once('=') {
            Some((option, value)) => (option.to_string(), Some(value.to_string())),
            None => (text.clone(), None),
        };
        let mut value = |what: &str| -> Result<OsString, UsageError> {
            match &inline_value {
                Some(v) => Ok(OsString::from(v)),
                None => args
                    .next()
                    .ok_or_else(|| UsageError(format!("{option} needs {what}"))),
            }
        };
        match option.as_str() {
            "--" if inline_value.is_none() => options_done = true,
            "-h" | "--help" if inline_value.is_none() => inv.help = true,
            "--dir" => inv.dir = Some(value("a directory")?.into()),
            "--from" => inv.from = Some(value("a directory")?.into()),
            "--fs" => {
                let fs = value("ext2 or ext4")?;
                inv.fs = Some(fs.to_string_lossy().into_owned());
            }
            _ => return Err(UsageError(format!("unknown option {text}"))),
        }
    }
    Ok(inv)
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

/// What went wrong: the command line, or carrying it out.
enum Failure {
    Usage(UsageError),
    Catalog(Error),
    /// `list` printed what it could but some files are unusable (already reported).
    PartialList,
}

impl From<UsageError> for Failure {
    fn from(e: UsageError) -> Self {
        Failure::Usage(e)
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Catalog(e)
    }
}

fn expect_operands(words: &[String], count: usize, usage: &str) -> Result<(), UsageError> {
    if words.len() - 1 == count {
        Ok(())
    } else {
        Err(UsageError(format!("usage: dcssctl [--dir DIR] {usage}")))
    }
}

fn run(inv: Invocation) -> Result<(), Failure> {
    let Some(command) = inv.words.first() else {
        return Err(UsageError("no command given (try --help)".into()).into());
    };
    let words = &inv.words;
    if command != "populate" && (inv.from.is_some() || inv.fs.is_some()) {
        return Err(UsageError("--from and --fs belong to populate".into()).into());
    }
    let catalog = Catalog::new(catalog_dir(inv.dir));
    match command.as_str() {
        "defseg" => {
            if words.len() < 3 {
                return Err(UsageError(
                    "usage: dcssctl [--dir DIR] defseg NAME RANGE TYPE [RANGE TYPE ...]".into(),
                )
                .into());
            }
            let name = SegmentName::parse(&words[1])?;
            let layout = SegmentLayout::from_defseg_args(&words[2..])?;
            catalog.create_and_lock()?.define(&name, &layout)?;
        }
        "populate" => {
            expect_operands(words, 1, "populate NAME --from SRCDIR [--fs ext2|ext4]")?;
            let name = SegmentName::parse(&words[1])?;
            let source = inv
                .from
                .ok_or_else(|| UsageError("populate needs --from SRCDIR".into()))?;
            let fs = match inv.fs.as_deref() {
                None => FsType::Ext2,
                Some(text) => FsType::parse(text)
                    .ok_or_else(|| UsageError(format!("--fs {text}: expected ext2 or ext4")))?,
            };
            populate::populate(&catalog.lock()?, &name, &source, fs)?;
        }
        "list" => {
            expect_operands(words, 0, "list")?;
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
            print!("{}", nssmap::render(&usable));
            if !all_usable {
                return Err(Failure::PartialList);
            }
        }
        "purge" => {
            expect_operands(words, 1, "purge NAME")?;
            let name = SegmentName::parse(&words[1])?;
            catalog.lock()?.purge(&name)?;
        }
        "export" => {
            expect_operands(words, 2, "export NAME FILE")?;
            let name = SegmentName::parse(&words[1])?;
            // Like a loader: no lock, the open file is one consistent version.
            let segment = catalog.open(&name)?;
            if words[2] == "-" {
                segment.export(&mut BufWriter::new(io::stdout().lock()))?;
            } else {
                let file = File::create(&words[2]).context(|| format!("creating {}", words[2]))?;
                segment.export(&mut BufWriter::new(file))?;
            }
        }
        "import" => {
            expect_operands(words, 2, "import NAME FILE")?;
            let name = SegmentName::parse(&words[1])?;
            let (mut source, size): (Box<dyn Read>, _) = if words[2] == "-" {
                (Box::new(io::stdin().lock()), None)
            } else {
                let file = File::open(&words[2]).context(|| format!("opening {}", words[2]))?;
                let meta = file
                    .metadata()
                    .context(|| format!("examining {}", words[2]))?;
                (Box::new(file), meta.is_file().then_some(meta.len()))
            };
            catalog.lock()?.replace_contents(&name, &mut source, size)?;
        }
        other => return Err(UsageError(format!("unknown command '{other}' (try --help)")).into()),
    }
    Ok(())
}

fn main() -> ExitCode {
    let result = parse_args(std::env::args_os().skip(1)).map_err(Failure::Usage);
    let result = result.and_then(|inv| {
        if inv.help {
            print!("{USAGE}");
            Ok(())
        } else {
            run(inv)
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(UsageError(message))) => {
            eprintln!("dcssctl: {message}");
            ExitCode::from(2)
        }
        Err(Failure::Catalog(e)) => {
            eprintln!("dcssctl: {e}");
            ExitCode::FAILURE
        }
        Err(Failure::PartialList) => ExitCode::FAILURE,
    }
}
