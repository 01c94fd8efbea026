//! End-to-end tests: run the dcssctl binary against catalogs in temporary directories and check
//! the files it leaves, as the QEMU loader will read them.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{FileExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const MIB: u64 = 1 << 20;

/// A directory under the system temp dir, removed when the test ends.
struct TempDir(PathBuf);

impl TempDir {
    fn new(test: &str) -> Self {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("dcssctl-test-{}-{test}-{n}", std::process::id()));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    fn path(&self) -> &Path {
        &self.0
    }

    fn catalog(&self) -> PathBuf {
        self.0.join("catalog")
    }

    fn seg(&self, name: &str) -> PathBuf {
        self.catalog().join(format!("{name}.seg"))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn dcssctl_command(dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_dcssctl"));
    command
        .arg("--dir")
        .arg(dir)
        .args(args)
        .env_remove("DCSS_DIR");
    command
}

fn run(t: &TempDir, args: &[&str]) -> Output {
    dcssctl_command(&t.catalog(), args).output().unwrap()
}

/// Runs and expects success; returns stdout.
fn ok_bytes(t: &TempDir, args: &[&str]) -> Vec<u8> {
    let out = run(t, args);
    assert!(
        out.status.success(),
        "dcssctl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Runs and expects success; returns stdout as text.
fn ok(t: &TempDir, args: &[&str]) -> String {
    String::from_utf8(ok_bytes(t, args)).expect("text output")
}

/// Runs and expects exit status `code` with `needle` in the message; returns stderr.
fn fails(t: &TempDir, args: &[&str], code: i32, needle: &str) -> String {
    let out = run(t, args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(code), "dcssctl {args:?}: {stderr}");
    assert!(
        stderr.contains(needle),
        "dcssctl {args:?}: expected {needle:?} in {stderr:?}"
    );
    stderr
}

/// Like `fails`, and the failed command left segment `name`'s file byte-for-byte as it was.
fn fails_unchanged(t: &TempDir, args: &[&str], code: i32, needle: &str, name: &str) -> String {
    let before = fs::read(t.seg(name)).unwrap();
    let stderr = fails(t, args, code, needle);
    assert!(
        before == fs::read(t.seg(name)).unwrap(),
        "dcssctl {args:?} failed but changed {name}.seg"
    );
    assert!(
        temp_files(t).is_empty(),
        "dcssctl {args:?} left {:?}",
        temp_files(t)
    );
    stderr
}

fn header_text(path: &Path) -> String {
    let mut header = vec![0u8; 4096];
    File::open(path).unwrap().read_exact(&mut header).unwrap();
    let end = header.iter().position(|&b| b == 0).unwrap();
    assert!(header[end..].iter().all(|&b| b == 0));
    String::from_utf8(header[..end].to_vec()).unwrap()
}

fn temp_files(t: &TempDir) -> Vec<String> {
    fs::read_dir(t.catalog())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".tmp"))
        .collect()
}

/// Deterministic non-zero test data.
fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u32).wrapping_mul(2_654_435_761).to_be_bytes()[0] ^ seed | 1)
        .collect()
}

#[test]
fn defseg_writes_the_catalog_format() {
    let t = TempDir::new("defseg");
    ok(
        &t,
        &["defseg", "mixed", "20000-200ff", "ew", "20100-201FF", "EN"],
    );
    let path = t.seg("MIXED");
    assert_eq!(
        header_text(&path),
        "ZVMSEG1\n20000-200FF EW\n20100-201FF EN\n"
    );
    let meta = fs::metadata(&path).unwrap();
    assert_eq!(meta.len(), 4096 + 2 * MIB);
    // Zeroed contents are holes: only the header page is allocated.
    assert!(meta.blocks() * 512 <= 64 * 1024, "{} blocks", meta.blocks());
    assert!(t.catalog().join(".lock").exists());
    assert!(temp_files(&t).is_empty());
    let mut contents = Vec::new();
    File::open(&path)
        .unwrap()
        .read_to_end(&mut contents)
        .unwrap();
    assert!(contents[4096..].iter().all(|&b| b == 0));
}

#[test]
fn defseg_validation_errors() {
    let t = TempDir::new("validation");
    let cases: &[(&[&str], &str)] = &[
        (
            &["defseg", "TOOLONGNAME", "0-FF", "SW"],
            "invalid segment name 'TOOLONGNAME'",
        ),
        (
            &["defseg", "BAD.NAME", "0-FF", "SW"],
            "invalid segment name 'BAD.NAME'",
        ),
        (&["defseg", "A B", "0-FF", "SW"], "invalid segment name"),
        (
            &["defseg", "X", "20000", "SW"],
            "invalid page range '20000'",
        ),
        (
            &["defseg", "X", "2000Z-2FFFF", "SW"],
            "invalid page range '2000Z-2FFFF'",
        ),
        (
            &["defseg", "X", "2FFFF-20000", "SW"],
            "first page is above last page",
        ),
        (
            &["defseg", "X", "0-FF", "QQ"],
            "unknown page range type 'QQ'",
        ),
        (
            &["defseg", "X", "0-FF", "SW", "100-1FF"],
            "'100-1FF' has no type",
        ),
        (&["defseg", "X", "0-FF", "SW", "80-1FF", "SW"], "overlap"),
        (&["defseg", "X", "100-1FF", "SW", "0-FF", "SW"], "ascending"),
        (
            &["defseg", "X", "0-FF", "SW", "200-2FF", "SW"],
            "contiguous",
        ),
        (
            &["defseg", "X", "20080-200FF", "SW"],
            "not on a 1 MiB boundary",
        ),
        (
            &["defseg", "X", "20000-2007F", "SW"],
            "not on a 1 MiB boundary",
        ),
        (
            &["defseg", "X", "7FFFF00-8000000", "SW"],
            "beyond the highest page 7FFFFFF",
        ),
        (
            &[
                "defseg", "X", "0-FF", "EW", "100-1FF", "EW", "200-2FF", "EW", "300-3FF", "EW",
                "400-4FF", "EW", "500-5FF", "EW", "600-6FF", "EW",
            ],
            "at most 6",
        ),
    ];
    for (args, needle) in cases {
        fails(&t, args, 1, needle);
    }
    // Nothing was created by the refused commands.
    assert!(!t.seg("X").exists());
    // Usage errors exit with 2 (the messages are clap's).
    fails(&t, &["defseg", "X"], 2, "Usage: dcssctl defseg");
    fails(
        &t,
        &["frobnicate"],
        2,
        "unrecognized subcommand 'frobnicate'",
    );
    fails(&t, &[], 2, "requires a subcommand");
    fails(&t, &["list", "--bogus"], 2, "unexpected argument '--bogus'");
    fails(&t, &["list", "extra"], 2, "Usage: dcssctl list");
    fails(
        &t,
        &["list", "--from", "x"],
        2,
        "unexpected argument '--from'",
    );
}

#[test]
fn redefine_makes_a_new_version_and_loaded_copies_keep_the_old_one() {
    let t = TempDir::new("replace");
    let data = t.path().join("data");
    fs::write(&data, pattern(8192, 7)).unwrap();
    ok(&t, &["defseg", "ROOT", "100-1FF", "SR"]);
    ok(&t, &["import", "ROOT", data.to_str().unwrap()]);
    // A "loaded guest": an open descriptor of the current version.
    let loaded = File::open(t.seg("ROOT")).unwrap();
    let old_inode = loaded.metadata().unwrap().ino();

    ok(&t, &["defseg", "root", "200-3FF", "EW"]);
    let new_meta = fs::metadata(t.seg("ROOT")).unwrap();
    assert_ne!(
        new_meta.ino(),
        old_inode,
        "replaced by rename, not rewritten"
    );
    assert_eq!(new_meta.len(), 4096 + 2 * MIB);
    assert_eq!(header_text(&t.seg("ROOT")), "ZVMSEG1\n200-3FF EW\n");

    let mut old = vec![0u8; 8192];
    loaded.read_exact_at(&mut old, 4096).unwrap();
    assert_eq!(old, pattern(8192, 7));
    assert_eq!(loaded.metadata().unwrap().len(), 4096 + MIB);
    assert!(temp_files(&t).is_empty());
}

#[test]
fn writers_wait_for_the_lock() {
    let t = TempDir::new("lock");
    fs::create_dir_all(t.catalog()).unwrap();
    let lock = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(t.catalog().join(".lock"))
        .unwrap();
    lock.lock().unwrap();
    let mut child = dcssctl_command(&t.catalog(), &["defseg", "WAITER", "0-FF", "SW"])
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(400));
    assert!(
        child.try_wait().unwrap().is_none(),
        "defseg ran without the lock"
    );
    assert!(!t.seg("WAITER").exists());
    lock.unlock().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "defseg still blocked");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success());
    assert!(t.seg("WAITER").exists());
}

#[test]
fn stale_temporaries_of_dead_writers_are_removed() {
    let t = TempDir::new("stale");
    fs::create_dir_all(t.catalog()).unwrap();
    // pid_max is at most 2^22, so pid 99999999 never runs; our own pid is alive.
    let stale = t.catalog().join("OLD.seg.99999999.tmp");
    let stale_image = t.catalog().join("OLD.seg.99999999.img.tmp");
    let live = t
        .catalog()
        .join(format!("OLD.seg.{}.tmp", std::process::id()));
    let unrelated = t.catalog().join("notes.tmp");
    for path in [&stale, &stale_image, &live, &unrelated] {
        fs::write(path, b"x").unwrap();
    }
    ok(&t, &["defseg", "NEW", "0-FF", "SW"]);
    assert!(!stale.exists() && !stale_image.exists());
    assert!(live.exists() && unrelated.exists());
}

#[test]
fn list_is_like_query_nss_map() {
    let t = TempDir::new("list");
    ok(&t, &["defseg", "MONDCSS", "9000-97FF", "SC"]);
    ok(
        &t,
        &["defseg", "MIXED", "20000-200FF", "EW", "20100-201FF", "EN"],
    );
    ok(&t, &["defseg", "$SHR#1", "30000-300FF", "SR"]);
    let expected = "\
FILE FILENAME FILETYPE MINSIZE  BEGPAG ENDPAG TYPE CL #USERS PARMREGS VMGROUP
0001 $SHR#1   DCSS     N/A      30000  300FF  SR   A  N/A    N/A      N/A
0002 MIXED    DCSS     N/A      20000  200FF  EW   A  N/A    N/A      N/A
                                20100  201FF  EN
0003 MONDCSS  DCSS     N/A      09000  097FF  SC   A  N/A    N/A      N/A
";
    assert_eq!(ok(&t, &["list"]), expected);

    // Unusable files are reported and skipped; the rest is still listed.
    fs::write(t.catalog().join("BROKEN.seg"), b"not a segment").unwrap();
    fs::write(t.catalog().join("lower.seg"), b"").unwrap();
    fs::write(t.catalog().join("README"), b"ignored").unwrap();
    let out = run(&t, &["list"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(String::from_utf8(out.stdout).unwrap(), expected);
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("skipping BROKEN.seg"), "{stderr}");
    assert!(stderr.contains("skipping lower.seg"), "{stderr}");

    let empty = TempDir::new("list-empty");
    fs::create_dir_all(empty.catalog()).unwrap();
    assert_eq!(
        ok(&empty, &["list"]),
        "FILE FILENAME FILETYPE MINSIZE  BEGPAG ENDPAG TYPE CL #USERS PARMREGS VMGROUP\n"
    );
    // Only defseg creates a catalog; elsewhere a mistyped DIR is an error, not a new catalog.
    let nodir = TempDir::new("nodir");
    for args in [
        &["list"][..],
        &["purge", "X"],
        &["import", "X", "/dev/null"],
        &["export", "X", "-"],
        &["populate", "X", "--from", "/"],
    ] {
        fails(&nodir, args, 1, "does not exist");
    }
    assert!(!nodir.catalog().exists());
}

#[test]
fn truncated_segment_files_are_refused() {
    let t = TempDir::new("truncated");
    ok(&t, &["defseg", "SHORT", "0-FF", "SW"]);
    let file = OpenOptions::new().write(true).open(t.seg("SHORT")).unwrap();
    file.set_len(4096 + MIB - 1).unwrap();
    fails(&t, &["export", "SHORT", "-"], 1, "its ranges need");
}

#[test]
fn export_and_import_round_trip() {
    let t = TempDir::new("export");
    ok(&t, &["defseg", "DATA", "100-1FF", "SW", "200-2FF", "SR"]);
    let data = pattern(MIB as usize + 12345, 3);
    let input = t.path().join("input");
    fs::write(&input, &data).unwrap();
    ok(&t, &["import", "data", input.to_str().unwrap()]);

    let output = t.path().join("output");
    ok(&t, &["export", "DATA", output.to_str().unwrap()]);
    let exported = fs::read(&output).unwrap();
    assert_eq!(exported.len() as u64, 2 * MIB);
    assert_eq!(&exported[..data.len()], &data[..]);
    assert!(exported[data.len()..].iter().all(|&b| b == 0));

    // "-" is stdout for export and stdin for import.
    let stdout = ok_bytes(&t, &["export", "DATA", "-"]);
    assert!(stdout == exported, "stdout export differs from file export");
    let mut child = dcssctl_command(&t.catalog(), &["import", "DATA", "-"])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"hello").unwrap();
    assert!(child.wait().unwrap().success());
    let exported = ok_bytes(&t, &["export", "DATA", "-"]);
    assert_eq!(exported.len() as u64, 2 * MIB);
    assert_eq!(&exported[..5], b"hello");
    assert!(
        exported[5..].iter().all(|&b| b == 0),
        "import replaces everything"
    );

    // The file on disk: data at offset 4096, zero pages left as holes.
    let on_disk = fs::read(t.seg("DATA")).unwrap();
    assert_eq!(&on_disk[4096..4101], b"hello");
}

#[test]
fn import_errors() {
    let t = TempDir::new("import-errors");
    ok(&t, &["defseg", "SMALL", "0-FF", "EW", "100-1FF", "EN"]);
    let first = t.path().join("first");
    fs::write(&first, pattern(4096, 3)).unwrap();
    ok(&t, &["import", "SMALL", first.to_str().unwrap()]);
    let saved = fs::read(t.seg("SMALL")).unwrap();

    let too_big = t.path().join("too-big");
    fs::write(&too_big, vec![1u8; 2 * MIB as usize + 1]).unwrap();
    fails_unchanged(
        &t,
        &["import", "SMALL", too_big.to_str().unwrap()],
        1,
        "data of 2097153 bytes is larger than segment SMALL (2097152 bytes)",
        "SMALL",
    );
    // From a pipe the size shows only while copying.
    let mut child = dcssctl_command(&t.catalog(), &["import", "SMALL", "-"])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let _ = stdin.write_all(&vec![0u8; 2 * MIB as usize + 1]);
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("data is larger than segment SMALL"));
    assert!(
        saved == fs::read(t.seg("SMALL")).unwrap(),
        "import from a pipe changed SMALL"
    );
    assert!(temp_files(&t).is_empty());

    // Non-zero data in the EN range would be lost on load: refused.
    let mut into_en = vec![0u8; MIB as usize + 4096];
    into_en[MIB as usize + 10] = 1;
    let into_en_path = t.path().join("into-en");
    fs::write(&into_en_path, &into_en).unwrap();
    fails_unchanged(
        &t,
        &["import", "SMALL", into_en_path.to_str().unwrap()],
        1,
        "100-1FF EN",
        "SMALL",
    );
    fails_unchanged(
        &t,
        &["import", "SMALL", "/nonexistent/file"],
        1,
        "/nonexistent/file",
        "SMALL",
    );
    assert!(saved == fs::read(t.seg("SMALL")).unwrap());

    // Zeros there are fine: they are what a load shows anyway.
    into_en[MIB as usize + 10] = 0;
    into_en[10] = 1;
    fs::write(&into_en_path, &into_en).unwrap();
    ok(&t, &["import", "SMALL", into_en_path.to_str().unwrap()]);
    assert!(saved != fs::read(t.seg("SMALL")).unwrap());

    fails(
        &t,
        &["import", "NOSUCH", into_en_path.to_str().unwrap()],
        1,
        "segment NOSUCH does not exist",
    );
    assert!(temp_files(&t).is_empty());
}

/// Runs `script` (sh) in a private mount namespace (`unshare`, as root or mapped root) with
/// `$D` a fresh tmpfs of `size` and `$DCSSCTL` the binary; the tmpfs goes with the namespace.
/// Returns the script's output; it fails the test if the script does.
fn in_tmpfs(t: &TempDir, size: &str, script: &str) -> String {
    let d = t.path().join("tmpfs");
    fs::create_dir_all(&d).unwrap();
    let out = Command::new("unshare")
        .args(["--map-root-user", "--mount", "sh", "-euc"])
        .arg(format!(
            "mount -t tmpfs -o size={size} tmpfs \"$D\"\n{script}"
        ))
        .env("D", &d)
        .env("DCSSCTL", env!("CARGO_BIN_EXE_dcssctl"))
        .env_remove("DCSS_DIR")
        .output()
        .expect("unshare (util-linux) runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "script in a tmpfs failed:\n{text}");
    text
}

/// The shell lines that run a dcssctl command that must fail with status 1 and `needle` in its
/// message, and that must leave `$D/cat/NAME.seg` as `$D/before` and no temporary behind.
fn sh_fails_unchanged(command: &str, needle: &str, name: &str) -> String {
    format!(
        r#"cp "$D/cat/{name}.seg" "$D/../before"
rc=0; $DCSSCTL --dir "$D/cat" {command} 2>"$D/../err" || rc=$?
cat "$D/../err"
[ $rc = 1 ] || {{ echo "exit status $rc, want 1"; exit 1; }}
grep -qF -- '{needle}' "$D/../err" || {{ echo "no '{needle}' in the message"; exit 1; }}
cmp "$D/cat/{name}.seg" "$D/../before" || {{ echo "{name}.seg changed"; exit 1; }}
! ls "$D/cat" | grep -q 'tmp$' || {{ echo "temporary left: $(ls "$D/cat")"; exit 1; }}
"#
    )
}

#[test]
fn io_errors_change_nothing() {
    let t = TempDir::new("io-errors");
    let tree = sample_tree(&t);
    let data = t.path().join("data");
    fs::write(&data, pattern(MIB as usize, 5)).unwrap();
    let other = t.path().join("other");
    fs::write(&other, pattern(MIB as usize, 6)).unwrap();
    let (data, other, tree) = (
        data.to_str().unwrap(),
        other.to_str().unwrap(),
        tree.to_str().unwrap(),
    );

    // ENOSPC: room for one version of the 1 MiB segment, not for the next one beside it.
    let out = in_tmpfs(
        &t,
        "1300k",
        &format!(
            "$DCSSCTL --dir \"$D/cat\" defseg FULL 0-FF SW\n$DCSSCTL --dir \"$D/cat\" import FULL {data}\n{}{}",
            sh_fails_unchanged(&format!("import FULL {other}"), "No space left on device", "FULL"),
            sh_fails_unchanged(&format!("populate FULL --from {tree}"), "No space left on device", "FULL"),
        ),
    );
    assert!(out.contains("No space left on device"), "{out}");

    // A read-only catalog: writers fail on their first write, not on taking the lock (`.lock`
    // opens read-only), and readers still work.
    let out = in_tmpfs(
        &t,
        "4m",
        &format!(
            "$DCSSCTL --dir \"$D/cat\" defseg RO 0-FF SR\n$DCSSCTL --dir \"$D/cat\" import RO {data}\n\
             mount -o remount,ro \"$D\"\n{}{}{}\
             $DCSSCTL --dir \"$D/cat\" list | grep -q ' RO '\n\
             $DCSSCTL --dir \"$D/cat\" export RO \"$D/../exported\"\ncmp \"$D/../exported\" {data}\n",
            sh_fails_unchanged(&format!("import RO {other}"), "Read-only file system", "RO"),
            sh_fails_unchanged(&format!("populate RO --from {tree}"), "Read-only file system", "RO"),
            sh_fails_unchanged("defseg RO 0-1FF SR", "Read-only file system", "RO"),
        ),
    );
    assert!(!out.contains("locking"), "the lock itself failed: {out}");
    assert!(!out.contains(".lock"), "opening .lock failed: {out}");
}

#[test]
fn export_shows_unsaved_ranges_as_zeros() {
    let t = TempDir::new("export-zeros");
    ok(&t, &["defseg", "MON", "0-FF", "SR", "100-1FF", "SC"]);
    // Whatever a writer left in the SC range, a load shows zeros there.
    let file = OpenOptions::new().write(true).open(t.seg("MON")).unwrap();
    file.write_all_at(b"saved", 4096).unwrap();
    file.write_all_at(b"not saved", 4096 + MIB).unwrap();
    let exported = ok(&t, &["export", "MON", "-"]);
    assert!(exported.starts_with("saved\0"));
    assert!(exported.bytes().skip(5).all(|b| b == 0));
    fails(
        &t,
        &["export", "GONE", "-"],
        1,
        "segment GONE does not exist",
    );
}

#[test]
fn purge_removes_and_loaded_copies_survive() {
    let t = TempDir::new("purge");
    ok(&t, &["defseg", "TEMP", "0-FF", "SW"]);
    let input = t.path().join("input");
    fs::write(&input, b"still here").unwrap();
    ok(&t, &["import", "TEMP", input.to_str().unwrap()]);
    let loaded = File::open(t.seg("TEMP")).unwrap();
    ok(&t, &["purge", "temp"]);
    assert!(!t.seg("TEMP").exists());
    let mut buf = [0u8; 10];
    loaded.read_exact_at(&mut buf, 4096).unwrap();
    assert_eq!(&buf, b"still here");
    fails(&t, &["purge", "TEMP"], 1, "segment TEMP does not exist");
    fails(&t, &["purge", "BAD/NAME"], 1, "invalid segment name");
    assert!(!ok(&t, &["list"]).contains("TEMP"));
}

#[test]
fn catalog_dir_comes_from_dcss_dir_then_dot_segments() {
    let t = TempDir::new("default-dir");
    let from_env = t.path().join("from-env");
    let status = Command::new(env!("CARGO_BIN_EXE_dcssctl"))
        .args(["defseg", "ENV", "0-FF", "SW"])
        .env("DCSS_DIR", &from_env)
        .status()
        .unwrap();
    assert!(status.success());
    assert!(from_env.join("ENV.seg").exists());

    let status = Command::new(env!("CARGO_BIN_EXE_dcssctl"))
        .args(["defseg", "CWD", "0-FF", "SW"])
        .env_remove("DCSS_DIR")
        .current_dir(t.path())
        .status()
        .unwrap();
    assert!(status.success());
    assert!(t.path().join("segments/CWD.seg").exists());

    // --dir wins over $DCSS_DIR, and may also be written --dir=DIR.
    let explicit = t.path().join("explicit");
    let status = Command::new(env!("CARGO_BIN_EXE_dcssctl"))
        .arg(format!("--dir={}", explicit.display()))
        .args(["defseg", "ARG", "0-FF", "SW"])
        .env("DCSS_DIR", &from_env)
        .status()
        .unwrap();
    assert!(status.success());
    assert!(explicit.join("ARG.seg").exists());
}

#[test]
fn help_describes_every_command() {
    let t = TempDir::new("help");
    let help = ok(&t, &["--help"]);
    for word in [
        "defseg",
        "populate",
        "list",
        "purge",
        "export",
        "import",
        "completions",
        "DCSS_DIR",
        "Exit status: 0 success, 1 error, 2 usage error.",
    ] {
        assert!(help.contains(word), "{word}");
    }
    assert_eq!(ok(&t, &["-h"]), help);
}

/// Every subcommand with what its help must say: its usage line, its operands and options, and
/// the notes that concern it.
const COMMANDS: &[(&str, &[&str])] = &[
    (
        "defseg",
        &[
            "Usage: dcssctl defseg [OPTIONS] <NAME> <RANGE> <TYPE> [<RANGE> <TYPE>]...",
            "20000-2FFFF",
            "SW EW SR ER SN EN or SC",
            "contiguous ascending ranges",
            "1 MiB boundary",
            "7FFFFFF",
            "SN EN and SC ranges save no data",
            "1-8 characters of A-Z 0-9 @ # $ _ -",
            "DIR/.lock",
        ],
    ),
    (
        "populate",
        &[
            "Usage: dcssctl populate [OPTIONS] --from <SRCDIR> <NAME>",
            "--from <SRCDIR>",
            "--fs <FS>",
            "[possible values: ext2, ext4]",
            "[default: ext2]",
            "mke2fs -d",
            "DIR/.lock",
        ],
    ),
    (
        "list",
        &[
            "Usage: dcssctl list [OPTIONS]",
            "--json",
            "QUERY NSS MAP",
            r#"{"first_page": "20000", "last_page": "200FF", "type": "EW"}"#,
            "the exit status is 1",
        ],
    ),
    (
        "purge",
        &[
            "Usage: dcssctl purge [OPTIONS] <NAME>",
            "keep their copy",
            "DIR/.lock",
        ],
    ),
    (
        "export",
        &[
            "Usage: dcssctl export [OPTIONS] <NAME> <FILE>",
            "- for stdout",
            "export as zeros",
            "without the lock",
        ],
    ),
    (
        "import",
        &[
            "Usage: dcssctl import [OPTIONS] <NAME> <FILE>",
            "- for stdin",
            "must not be larger than the segment",
            "DIR/.lock",
        ],
    ),
    (
        "completions",
        &[
            "Usage: dcssctl completions [OPTIONS] <SHELL>",
            "[possible values: bash, elvish, fish, powershell, zsh]",
        ],
    ),
];

/// The options that only one subcommand takes, with their subcommand.
const OWN_OPTIONS: [(&str, &str); 3] = [
    ("--from", "populate"),
    ("--fs", "populate"),
    ("--json", "list"),
];

#[test]
fn every_command_has_its_own_help() {
    let t = TempDir::new("command-help");
    for (command, words) in COMMANDS {
        let out = run(&t, &[command, "--help"]);
        let help = String::from_utf8(out.stdout).unwrap();
        assert_eq!(out.status.code(), Some(0), "{command} --help");
        assert!(out.stderr.is_empty(), "{command} --help wrote to stderr");
        for word in *words {
            assert!(
                help.contains(word),
                "{command} --help lacks {word:?}:\n{help}"
            );
        }
        // The global --dir everywhere; other commands' options nowhere.
        assert!(help.contains("--dir <DIR>"), "{command} --help");
        for (option, owner) in OWN_OPTIONS {
            assert_eq!(
                help.contains(option),
                command == &owner,
                "{option} in {command} --help:\n{help}"
            );
        }
        assert_eq!(ok(&t, &[command, "-h"]), help, "{command} -h");
        assert_eq!(ok(&t, &["help", command]), help, "help {command}");
    }
    // Help needs no catalog and creates none.
    assert!(!t.catalog().exists());
}

#[test]
fn options_belong_to_their_command() {
    let t = TempDir::new("scoped-options");
    ok(&t, &["defseg", "A", "0-FF", "SW"]);
    let cases: &[(&[&str], &str)] = &[
        (&["list", "--from", "x"], "--from"),
        (&["list", "--fs", "ext4"], "--fs"),
        (&["defseg", "B", "0-FF", "SW", "--from", "x"], "--from"),
        (&["import", "A", "/dev/null", "--fs", "ext2"], "--fs"),
        (&["export", "A", "-", "--json"], "--json"),
        (&["purge", "A", "--json"], "--json"),
        (&["populate", "A", "--from", "/", "--json"], "--json"),
        // Before their subcommand they are not options of dcssctl either.
        (&["--from", "/", "populate", "A"], "--from"),
        (&["--json", "list"], "--json"),
    ];
    for (args, option) in cases {
        let stderr = fails_unchanged(
            &t,
            args,
            2,
            &format!("unexpected argument '{option}' found"),
            "A",
        );
        assert!(stderr.starts_with("dcssctl: "), "{stderr}");
        assert!(stderr.contains("Usage: dcssctl"), "{stderr}");
    }
    assert!(!t.seg("B").exists());
    // --dir is global: it may follow the subcommand too.
    let out = Command::new(env!("CARGO_BIN_EXE_dcssctl"))
        .args(["list", "--json", "--dir"])
        .arg(t.catalog())
        .env_remove("DCSS_DIR")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8(out.stdout)
        .unwrap()
        .contains(r#""name": "A""#));
}

#[test]
fn version_and_a_bare_invocation() {
    let t = TempDir::new("version");
    let version = format!("dcssctl {}\n", env!("CARGO_PKG_VERSION"));
    assert_eq!(ok(&t, &["--version"]), version);
    assert_eq!(ok(&t, &["-V"]), version);
    // No arguments at all: the help, on stderr, as a usage error.
    let out = Command::new(env!("CARGO_BIN_EXE_dcssctl"))
        .env_remove("DCSS_DIR")
        .current_dir(t.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8(out.stderr)
        .unwrap()
        .contains("Usage: dcssctl [OPTIONS] <COMMAND>"));
    assert!(!t.path().join("segments").exists());
}

/// Runs bash's completion of `words` (the last one being completed) with dcssctl's script.
fn bash_complete(script: &Path, words: &[&str]) -> Vec<String> {
    let driver = r#"source "$1"; shift
COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
_dcssctl dcssctl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\n' "${COMPREPLY[@]}""#;
    let out = Command::new("bash")
        .args(["--norc", "-c", driver, "bash"])
        .arg(script)
        .args(words)
        .output()
        .expect("bash runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter(|line| !line.is_empty())
        .map(String::from)
        .collect()
}

#[test]
fn completions_print_a_script() {
    let t = TempDir::new("completions");
    let bash = ok(&t, &["completions", "bash"]);
    assert!(bash.contains("complete -F _dcssctl"), "{bash}");
    for (command, _) in COMMANDS {
        assert!(bash.contains(&format!("dcssctl,{command})")), "{command}");
    }
    let script = t.path().join("dcssctl.bash");
    fs::write(&script, &bash).unwrap();
    assert_eq!(bash_complete(&script, &["dcssctl", "li"]), ["list"]);
    assert_eq!(bash_complete(&script, &["dcssctl", "po"]), ["populate"]);
    assert_eq!(
        bash_complete(&script, &["dcssctl", "populate", "X", "--f"]),
        ["--from", "--fs"]
    );
    assert_eq!(
        bash_complete(&script, &["dcssctl", "populate", "X", "--fs", ""]),
        ["ext2", "ext4"]
    );
    let list_options = bash_complete(&script, &["dcssctl", "list", "--"]);
    assert!(
        list_options.contains(&"--json".to_string()),
        "{list_options:?}"
    );
    assert!(
        !list_options.contains(&"--from".to_string()),
        "{list_options:?}"
    );

    assert!(ok(&t, &["completions", "zsh"]).starts_with("#compdef dcssctl"));
    assert!(ok(&t, &["completions", "fish"]).contains("complete -c dcssctl"));
    for shell in ["elvish", "powershell"] {
        assert!(
            ok(&t, &["completions", shell]).contains("dcssctl"),
            "{shell}"
        );
    }
    fails(&t, &["completions", "tcsh"], 2, "invalid value 'tcsh'");
    fails(&t, &["completions"], 2, "<SHELL>");
    // Completions need no catalog and create none.
    assert!(!t.catalog().exists());
}

#[test]
fn list_json_matches_the_catalog() {
    let t = TempDir::new("list-json");
    fs::create_dir_all(t.catalog()).unwrap();
    assert_eq!(ok(&t, &["list", "--json"]), "[]\n");
    ok(&t, &["defseg", "MONDCSS", "9000-97FF", "SC"]);
    ok(
        &t,
        &["defseg", "mixed", "20000-200ff", "ew", "20100-201FF", "EN"],
    );
    ok(&t, &["defseg", "$SHR#1", "7FFFF00-7FFFFFF", "SR"]);
    let expected = serde_json::json!([
        {"name": "$SHR#1", "size": MIB, "ranges": [
            {"first_page": "7FFFF00", "last_page": "7FFFFFF", "type": "SR"},
        ]},
        {"name": "MIXED", "size": 2 * MIB, "ranges": [
            {"first_page": "20000", "last_page": "200FF", "type": "EW"},
            {"first_page": "20100", "last_page": "201FF", "type": "EN"},
        ]},
        {"name": "MONDCSS", "size": 8 * MIB, "ranges": [
            {"first_page": "9000", "last_page": "97FF", "type": "SC"},
        ]},
    ]);
    let parse = |text: &str| -> serde_json::Value {
        serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
    };
    assert_eq!(parse(&ok(&t, &["list", "--json"])), expected);

    // "size" is what export writes.
    let exported = ok_bytes(&t, &["export", "MIXED", "-"]);
    assert_eq!(exported.len() as u64, expected[1]["size"].as_u64().unwrap());

    // Unusable files: reported and left out as in the table, exit status 1, still valid JSON.
    fs::write(t.catalog().join("BROKEN.seg"), b"not a segment").unwrap();
    let out = run(&t, &["list", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(parse(&String::from_utf8(out.stdout).unwrap()), expected);
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.starts_with("dcssctl: skipping BROKEN.seg: "),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");

    let nodir = TempDir::new("list-json-nodir");
    fails(&nodir, &["list", "--json"], 1, "does not exist");
}

// ---- populate: real mke2fs, checked with debugfs and dumpe2fs ----

fn e2fs_tool(name: &str) -> PathBuf {
    ["/usr/sbin", "/sbin", "/usr/bin", "/bin"]
        .iter()
        .map(|dir| Path::new(dir).join(name))
        .find(|p| p.exists())
        .unwrap_or_else(|| panic!("{name} (e2fsprogs) is needed for this test"))
}

fn debugfs_bytes(image: &Path, request: &str) -> Vec<u8> {
    let out = Command::new(e2fs_tool("debugfs"))
        .args(["-R", request])
        .arg(image)
        .output()
        .unwrap();
    assert!(out.status.success());
    out.stdout
}

fn debugfs(image: &Path, request: &str) -> String {
    String::from_utf8_lossy(&debugfs_bytes(image, request)).into_owned()
}

fn dumpe2fs_header(image: &Path) -> String {
    let out = Command::new(e2fs_tool("dumpe2fs"))
        .arg("-h")
        .arg(image)
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn sample_tree(t: &TempDir) -> PathBuf {
    let src = t.path().join("src");
    fs::create_dir_all(src.join("etc/deep")).unwrap();
    fs::write(src.join("hello.txt"), b"hello from the host\n").unwrap();
    fs::write(src.join("etc/deep/data.bin"), pattern(300_000, 9)).unwrap();
    std::os::unix::fs::symlink("hello.txt", src.join("link")).unwrap();
    let script = src.join("run.sh");
    fs::write(&script, b"#!/bin/sh\n").unwrap();
    fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
    src
}

#[test]
fn populate_builds_an_ext2_image_in_the_segment() {
    let t = TempDir::new("populate");
    let src = sample_tree(&t);
    ok(&t, &["defseg", "ROOTFS", "20000-203FF", "SR"]);
    let loaded = File::open(t.seg("ROOTFS")).unwrap();
    ok(&t, &["populate", "rootfs", "--from", src.to_str().unwrap()]);
    assert_eq!(header_text(&t.seg("ROOTFS")), "ZVMSEG1\n20000-203FF SR\n");
    assert_eq!(fs::metadata(t.seg("ROOTFS")).unwrap().len(), 4096 + 4 * MIB);
    assert_ne!(
        fs::metadata(t.seg("ROOTFS")).unwrap().ino(),
        loaded.metadata().unwrap().ino(),
        "populate makes a new version"
    );
    assert!(temp_files(&t).is_empty(), "{:?}", temp_files(&t));

    let image = t.path().join("image");
    ok(&t, &["export", "ROOTFS", image.to_str().unwrap()]);
    let super_block = dumpe2fs_header(&image);
    assert!(
        super_block.contains("Block size:               4096"),
        "{super_block}"
    );
    assert!(
        super_block.contains("Block count:              1024"),
        "{super_block}"
    );
    assert!(!super_block.contains("has_journal"), "ext2 has no journal");
    assert!(super_block.contains("ROOTFS"), "volume label");
    assert_eq!(debugfs(&image, "cat /hello.txt"), "hello from the host\n");
    let data = debugfs_bytes(&image, "dump /etc/deep/data.bin /dev/stdout");
    assert!(data == pattern(300_000, 9), "data.bin differs");
    assert!(debugfs(&image, "stat /link").contains("Fast link dest: \"hello.txt\""));
    assert!(debugfs(&image, "stat /run.sh").contains("Mode:  0755"));

    // The file system is clean as far as e2fsck is concerned.
    let fsck = Command::new(e2fs_tool("e2fsck"))
        .args(["-f", "-n"])
        .arg(&image)
        .output()
        .unwrap();
    assert!(
        fsck.status.success(),
        "{}",
        String::from_utf8_lossy(&fsck.stdout)
    );
}

#[test]
fn populate_ext4() {
    let t = TempDir::new("populate-ext4");
    let src = sample_tree(&t);
    ok(&t, &["defseg", "EXT4", "20000-207FF", "EW"]);
    ok(
        &t,
        &[
            "populate",
            "EXT4",
            "--from",
            src.to_str().unwrap(),
            "--fs",
            "ext4",
        ],
    );
    let image = t.path().join("image");
    ok(&t, &["export", "EXT4", image.to_str().unwrap()]);
    let super_block = dumpe2fs_header(&image);
    assert!(super_block.contains("extent"), "{super_block}");
    assert!(super_block.contains("Block size:               4096"));
    assert_eq!(debugfs(&image, "cat /hello.txt"), "hello from the host\n");
}

#[test]
fn populate_fills_a_mixed_segment_only_in_saved_ranges() {
    let t = TempDir::new("populate-mixed");
    let src = sample_tree(&t);
    ok(&t, &["defseg", "MIX", "0-1FF", "EW", "200-3FF", "EN"]);
    ok(&t, &["populate", "MIX", "--from", src.to_str().unwrap()]);
    let image = t.path().join("image");
    ok(&t, &["export", "MIX", image.to_str().unwrap()]);
    assert_eq!(debugfs(&image, "cat /hello.txt"), "hello from the host\n");

    ok(&t, &["defseg", "MON", "0-FF", "SC"]);
    fails(
        &t,
        &["populate", "MON", "--from", src.to_str().unwrap()],
        1,
        "0-FF SC",
    );
    assert!(temp_files(&t).is_empty());
}

#[test]
fn populate_errors() {
    let t = TempDir::new("populate-errors");
    let src = sample_tree(&t);
    let src = src.to_str().unwrap();
    ok(&t, &["defseg", "TINY", "0-FF", "SW"]);
    ok(&t, &["populate", "TINY", "--from", src]);

    // 2 MiB of file data cannot fit in 1 MiB: refused before mke2fs runs.
    let big = t.path().join("big");
    fs::create_dir_all(&big).unwrap();
    fs::write(big.join("blob"), pattern(2 * MIB as usize, 1)).unwrap();
    fails_unchanged(
        &t,
        &["populate", "TINY", "--from", big.to_str().unwrap()],
        1,
        "too big for segment TINY",
        "TINY",
    );

    // Slightly under 1 MiB of data: only mke2fs finds out it does not fit with the metadata.
    fs::write(big.join("blob"), pattern(MIB as usize - 8192, 1)).unwrap();
    fails_unchanged(
        &t,
        &["populate", "TINY", "--from", big.to_str().unwrap()],
        1,
        "too big for segment TINY",
        "TINY",
    );

    fails_unchanged(
        &t,
        &["populate", "NOSUCH", "--from", src],
        1,
        "segment NOSUCH does not exist",
        "TINY",
    );
    fails_unchanged(
        &t,
        &["populate", "TINY", "--from", "/nonexistent/dir"],
        1,
        "/nonexistent/dir",
        "TINY",
    );
    fails_unchanged(
        &t,
        &["populate", "TINY", "--from", src, "--fs", "xfs"],
        2,
        "invalid value 'xfs' for '--fs",
        "TINY",
    );
    fails_unchanged(&t, &["populate", "TINY"], 2, "--from", "TINY");
}

#[test]
fn populate_reports_mke2fs_failure() {
    let t = TempDir::new("populate-mke2fs");
    let src = sample_tree(&t);
    ok(&t, &["defseg", "FS", "0-FF", "SW"]);
    let before = fs::read(t.seg("FS")).unwrap();
    // A stand-in mke2fs found first on PATH.
    let bin = t.path().join("bin");
    fs::create_dir_all(&bin).unwrap();
    let fake = bin.join("mke2fs");
    fs::write(
        &fake,
        b"#!/bin/sh\necho 'mke2fs: something broke' >&2\nexit 1\n",
    )
    .unwrap();
    fs::set_permissions(&fake, fs::Permissions::from_mode(0o755)).unwrap();
    let out = dcssctl_command(
        &t.catalog(),
        &["populate", "FS", "--from", src.to_str().unwrap()],
    )
    .env("PATH", &bin)
    .output()
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("mke2fs failed"), "{stderr}");
    assert!(stderr.contains("something broke"), "{stderr}");
    assert!(temp_files(&t).is_empty());
    assert!(
        before == fs::read(t.seg("FS")).unwrap(),
        "a failed mke2fs changed FS.seg"
    );
}
