//! `iobound serve`'s flags checked into a [`ServeConfig`].

use super::{default_data_dir, parse_args, ConfigError};
use crate::serve::ServeConfig;

/// `iobound serve KIND`'s flags as left out, to tell which were given.
fn serve_defaults(kind: crate::serve::Kind) -> crate::cli::ServeArgs {
    use clap::ValueEnum;
    let name = kind
        .to_possible_value()
        .map_or_else(String::new, |v| v.get_name().to_string());
    match parse_args(["iobound", "serve", name.as_str()]) {
        Ok((
            crate::cli::Cli {
                command: crate::cli::Command::Serve(a),
            },
            _,
        )) => a,
        _ => unreachable!("`iobound serve {name}` parses"),
    }
}

/// Checks `iobound serve`'s flags.
pub fn serve_config(a: &crate::cli::ServeArgs) -> Result<ServeConfig, ConfigError> {
    if a.threads == 0 {
        return Err(ConfigError::Zero("threads"));
    }
    if a.records == 0 {
        return Err(ConfigError::Zero("records"));
    }
    if a.frame_timeout.is_zero() {
        return Err(ConfigError::Zero("frame-timeout"));
    }
    if a.kind == crate::serve::Kind::Echo {
        // The database's settings, given to the echo server, would be
        // silently ignored: refused, as `run` refuses flags that change nothing.
        let d = serve_defaults(a.kind);
        let db_only = [
            ("--direct", a.direct),
            ("--records", a.records != d.records),
            ("--db-latency", a.db.db_latency != d.db.db_latency),
            ("--data-dir", a.data_dir.is_some()),
            ("--fresh", a.fresh),
            ("--truncate-corrupt-wal", a.truncate_corrupt_wal),
        ];
        let set: Vec<&str> = db_only
            .iter()
            .filter(|(_, s)| *s)
            .map(|(f, _)| *f)
            .collect();
        if !set.is_empty() {
            return Err(ConfigError::Ignored(format!(
                "{} {} to `serve db` only: the echo server has no table",
                set.join(", "),
                if set.len() == 1 { "applies" } else { "apply" }
            )));
        }
    }
    Ok(ServeConfig {
        kind: a.kind,
        listen: a.listen,
        threads: a.threads,
        records: a.records,
        db_latency: a.db.db_latency,
        direct: a.direct,
        data_dir: a.data_dir.clone().unwrap_or_else(default_data_dir),
        fresh: a.fresh,
        truncate_corrupt_wal: a.truncate_corrupt_wal,
        frame_timeout: a.frame_timeout,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::tests::parse_cli;

    /// Issue 18: `serve echo` refuses the database's flags (--direct was
    /// accepted and ignored).
    #[test]
    fn serve_echo_refuses_the_database_flags() {
        let serve = |args: &[&str]| {
            let mut full = vec!["serve"];
            full.extend_from_slice(args);
            match parse_cli(&full).command {
                crate::cli::Command::Serve(a) => serve_config(&a).map(|_| ()),
                _ => unreachable!(),
            }
        };
        for (flag, value) in [
            ("--direct", None),
            ("--records", Some("5")),
            ("--db-latency", Some("2ms")),
            ("--data-dir", Some("/tmp")),
        ] {
            let mut args = vec!["echo", flag];
            args.extend(value);
            let e = serve(&args).err().unwrap().to_string();
            assert_eq!(
                e,
                format!("{flag} applies to `serve db` only: the echo server has no table")
            );
            args[0] = "db";
            assert!(serve(&args).is_ok(), "{args:?}");
        }
        assert!(serve(&["echo", "--threads", "2"]).is_ok());
    }
}
