//! Where the sync password is kept: the desktop's Secret Service keyring (GNOME Keyring, KWallet)
//! when a session bus offers one, else a file only the user can read. Never the library, so an
//! export, a backup or a log never carries it.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::SyncError;

const SERVICE: &str = "Earmark gPodder sync";

/// Where a password went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretStore {
    /// The Secret Service keyring.
    Keyring,
    /// A file readable by the user alone (mode 0600 in a 0700 folder).
    File(PathBuf),
}

/// The password store for sync accounts.
#[derive(Debug, Clone)]
pub struct Secrets {
    dir: PathBuf,
    keyring: bool,
}

impl Secrets {
    /// Files go under `dir`; `keyring` says whether to try the Secret Service first (the shells
    /// turn it off where no session bus runs, and tests always do).
    pub fn new(dir: PathBuf, keyring: bool) -> Self {
        Secrets { dir, keyring }
    }

    fn key(server: &str, user: &str) -> String {
        format!("{user}@{}", server.trim_end_matches('/'))
    }

    fn file(&self, server: &str, user: &str) -> PathBuf {
        let h = xxhash_rust::xxh3::xxh3_64(Self::key(server, user).as_bytes());
        self.dir.join(format!("sync-{h:016x}.secret"))
    }

    fn entry(server: &str, user: &str) -> Option<keyring::Entry> {
        keyring::Entry::new(SERVICE, &Self::key(server, user)).ok()
    }

    /// Stores the password, in the keyring if one answers, else in a private file.
    pub fn save(&self, server: &str, user: &str, password: &str) -> Result<SecretStore, SyncError> {
        if self.keyring {
            if let Some(e) = Self::entry(server, user) {
                match e.set_password(password) {
                    Ok(()) => {
                        // A file left by an earlier login without a keyring is now stale.
                        let _ = std::fs::remove_file(self.file(server, user));
                        return Ok(SecretStore::Keyring);
                    }
                    Err(err) => {
                        tracing::info!(%err, "no Secret Service keyring; keeping the sync password in a private file")
                    }
                }
            }
        }
        let path = self.file(server, user);
        write_private(&self.dir, &path, password).map_err(|e| SyncError::Secret(format!("{}: {e}", path.display())))?;
        Ok(SecretStore::File(path))
    }

    /// Reads the password back.
    pub fn load(&self, server: &str, user: &str) -> Result<String, SyncError> {
        let path = self.file(server, user);
        match std::fs::read_to_string(&path) {
            Ok(s) => return Ok(s),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(SyncError::Secret(format!("{}: {e}", path.display()))),
        }
        if self.keyring {
            if let Some(e) = Self::entry(server, user) {
                if let Ok(p) = e.get_password() {
                    return Ok(p);
                }
            }
        }
        Err(SyncError::Secret(
            "no password is stored for this account; log in again".to_owned(),
        ))
    }

    /// Forgets the password wherever it is.
    pub fn forget(&self, server: &str, user: &str) -> Result<(), SyncError> {
        if self.keyring {
            if let Some(e) = Self::entry(server, user) {
                let _ = e.delete_credential();
            }
        }
        match std::fs::remove_file(self.file(server, user)) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(SyncError::Secret(e.to_string())),
        }
    }
}

/// Writes `text` to `path` readable by the owner only, through a temporary file and a rename, so a
/// crash leaves the old password or the new one, never half of one.
fn write_private(dir: &Path, path: &Path, text: &str) -> std::io::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    let tmp = path.with_extension("tmp");
    let _ = std::fs::remove_file(&tmp);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn a_password_file_is_private_and_replaced_whole() {
        let dir = tempfile::tempdir().expect("tempdir");
        let secrets = Secrets::new(dir.path().join("secrets"), false);
        let store = secrets.save("https://sync.example/", "ann", "one").expect("save");
        let SecretStore::File(path) = store else {
            panic!("keyring turned off")
        };
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let dir_mode = std::fs::metadata(dir.path().join("secrets"))
            .expect("meta")
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(dir_mode, 0o700);
        secrets.save("https://sync.example", "ann", "two").expect("save again");
        assert_eq!(secrets.load("https://sync.example", "ann").expect("load"), "two");
        assert!(secrets.load("https://sync.example", "bob").is_err());
        secrets.forget("https://sync.example", "ann").expect("forget");
        assert!(secrets.load("https://sync.example", "ann").is_err());
    }
}
