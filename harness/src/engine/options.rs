//! Engines' own flags: an [`OptionSet`] per mechanism, erased as
//! [`Options`] so the registry can list them, added to the commands that
//! run engines and parsed back into [`Settings`].

use std::collections::BTreeMap;

use super::{all, Engine};

/// An engine's own flags: a struct deriving clap (shown in `--help` under
/// [`OptionSet::HEADING`]) and serde (recorded in run.json, settable in suite
/// files). Engines that share a mechanism share its set (uring and hybrid
/// share the ring's batch; rayon and hybrid the pool's size).
pub trait OptionSet:
    clap::Args + clap::FromArgMatches + serde::Serialize + serde::de::DeserializeOwned + Default
{
    /// The set's key in run.json.
    const ID: &'static str;
}

/// An [`OptionSet`] with its type erased, so the registry can list them.
pub struct Options {
    pub id: &'static str,
    augment: fn(clap::Command) -> clap::Command,
    read: fn(&clap::ArgMatches) -> Result<serde_json::Value, clap::Error>,
}

impl Options {
    /// The erased form of `T`.
    pub const fn of<T: OptionSet>() -> Options {
        fn augment<T: OptionSet>(c: clap::Command) -> clap::Command {
            // clap makes an Args struct's doc comment the command's about
            // text: keep the command's own, whatever an engine writes.
            let (about, long) = (c.get_about().cloned(), c.get_long_about().cloned());
            let c = T::augment_args(c);
            let c = match about {
                Some(a) => c.about(a),
                None => c,
            };
            match long {
                Some(l) => c.long_about(l),
                None => c,
            }
        }
        fn read<T: OptionSet>(m: &clap::ArgMatches) -> Result<serde_json::Value, clap::Error> {
            let v = T::from_arg_matches(m)?;
            serde_json::to_value(v)
                .map_err(|e| clap::Error::raw(clap::error::ErrorKind::InvalidValue, e))
        }
        Options {
            id: T::ID,
            augment: augment::<T>,
            read: read::<T>,
        }
    }
}

/// clap's parser for counts that must be at least one.
pub(crate) fn at_least_one(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!("'{s}' is not a whole number of at least 1")),
    }
}

/// Every option set of the registered engines, each once.
fn option_sets() -> Vec<&'static Options> {
    let mut sets: Vec<&'static Options> = Vec::new();
    for e in all() {
        for o in e.options() {
            if !sets.iter().any(|s| s.id == o.id) {
                sets.push(o);
            }
        }
    }
    sets
}

/// Adds every engine's options to a subcommand that runs engines.
pub fn augment(cmd: clap::Command) -> clap::Command {
    option_sets().into_iter().fold(cmd, |c, o| (o.augment)(c))
}

/// The engines' options as parsed from the command line.
pub fn read_settings(m: &clap::ArgMatches) -> Result<Settings, clap::Error> {
    let mut map = BTreeMap::new();
    let mut given = BTreeMap::new();
    for o in option_sets() {
        map.insert(o.id.to_string(), (o.read)(m)?);
        // The set's flags the command line gave (not defaults).
        let flags: Vec<String> = (o.augment)(clap::Command::new("set"))
            .get_arguments()
            .filter(|a| {
                m.try_contains_id(a.get_id().as_str()).unwrap_or(false)
                    && m.value_source(a.get_id().as_str())
                        == Some(clap::parser::ValueSource::CommandLine)
            })
            .filter_map(|a| a.get_long().map(|l| format!("--{l}")))
            .collect();
        if !flags.is_empty() {
            given.insert(o.id.to_string(), flags);
        }
    }
    Ok(Settings { values: map, given })
}

/// Checked values of every engine's options, by set; and which sets' flags
/// the command line gave, so a flag no selected engine reads can be flagged.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
#[serde(transparent)]
pub struct Settings {
    values: BTreeMap<String, serde_json::Value>,
    #[serde(skip)]
    given: BTreeMap<String, Vec<String>>,
}

impl Settings {
    /// Flags given for option sets that none of `engines` reads.
    pub fn unused_flags(&self, engines: &[&'static dyn Engine]) -> Vec<String> {
        self.given
            .iter()
            .filter(|(id, _)| {
                !engines
                    .iter()
                    .any(|e| e.options().iter().any(|o| o.id == id.as_str()))
            })
            .flat_map(|(_, flags)| flags.iter().cloned())
            .collect()
    }

    /// The values of one set (its defaults if it was not given).
    pub fn get<T: OptionSet>(&self) -> T {
        self.values
            .get(T::ID)
            .and_then(|v| serde_json::from_value(v.clone()).ok())
            .unwrap_or_default()
    }

    /// Sets one set's values (tests, and commands with fixed settings).
    pub fn with<T: OptionSet>(mut self, v: &T) -> Self {
        self.values.insert(
            T::ID.to_string(),
            serde_json::to_value(v).expect("option sets serialize"),
        );
        self
    }
}
