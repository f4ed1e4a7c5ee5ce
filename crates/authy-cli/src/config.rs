//! Where the API key and URL come from: the flag, then the environment
//! (clap merges those two), then the config file, then the default URL.

use std::path::PathBuf;

use crate::Failure;

/// The resolved settings of a client command.
pub struct Settings {
    pub api_key: String,
    pub api_url: String,
}

impl Settings {
    /// The client for these settings.
    pub fn client(&self) -> Result<authy::Client, Failure> {
        authy::Client::builder(self.api_key.clone())
            .base_url(self.api_url.clone())
            .user_agent_suffix(concat!("authy-cli/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Failure::Usage(format!("{e}")))
    }
}

/// The config file: `$AUTHY_CONFIG`, else `$XDG_CONFIG_HOME/authy/config`,
/// else `~/.config/authy/config`.
pub fn path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("AUTHY_CONFIG") {
        return Some(PathBuf::from(p));
    }
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(base.join("authy").join("config"))
}

/// Reads `key = "value"` lines (a TOML subset); `#` starts a comment.
fn read_file(path: &PathBuf) -> Result<Vec<(String, String)>, Failure> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(Failure::Usage(format!(
                "cannot read {}: {e}",
                path.display()
            )));
        }
    };
    let mut pairs = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            return Err(Failure::Usage(format!(
                "{}:{}: expected key = \"value\"",
                path.display(),
                n + 1
            )));
        };
        let value = value.trim();
        let value = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or(value);
        pairs.push((key.trim().to_owned(), value.to_owned()));
    }
    Ok(pairs)
}

/// Resolves the key and URL. A missing key is one line saying how to give it.
pub fn resolve(
    flag_or_env_key: Option<String>,
    flag_or_env_url: Option<String>,
) -> Result<Settings, Failure> {
    let file = match path() {
        Some(path) => read_file(&path)?
            .into_iter()
            .map(|(k, v)| (k, v, path.clone()))
            .collect(),
        None => Vec::new(),
    };
    let from_file = |name: &str| {
        file.iter()
            .rev()
            .find(|(k, _, _)| k == name)
            .map(|(_, v, p)| (v.clone(), p.clone()))
    };
    let api_key = match flag_or_env_key.filter(|k| !k.trim().is_empty()) {
        Some(key) => key,
        None => match from_file("api_key") {
            Some((key, file)) => {
                warn_if_readable_by_others(&file);
                key
            }
            None => {
                return Err(Failure::Usage(
                    "no API key: pass --api-key KEY, set AUTHY_API_KEY, or put api_key = \"KEY\" in ~/.config/authy/config (chmod 600)".into(),
                ));
            }
        },
    };
    let api_url = flag_or_env_url
        .or_else(|| from_file("api_url").map(|(url, _)| url))
        .unwrap_or_else(|| authy::DEFAULT_BASE_URL.to_owned());
    Ok(Settings { api_key, api_url })
}

#[cfg(unix)]
fn warn_if_readable_by_others(path: &PathBuf) {
    use std::os::unix::fs::PermissionsExt as _;
    if let Ok(meta) = std::fs::metadata(path)
        && meta.permissions().mode() & 0o077 != 0
    {
        eprintln!(
            "authy: warning: {} holds an API key and is readable by others; run chmod 600 on it",
            path.display()
        );
    }
}

#[cfg(not(unix))]
fn warn_if_readable_by_others(_: &PathBuf) {}
