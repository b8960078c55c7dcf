//! What the run shows where the prediction does not hold: the sentence
//! after a kind's lead, from its farthest row's reading.

use super::super::rps;
use super::cpu;
use crate::lang::Lang;
use crate::output::human::duration_ns;
use crate::report::predict::{Above, Below, Side, HOLDS, SATURATED};

/// Below the prediction: what held the farthest row back.
pub(super) fn below_why(b: Below, head: &str, lang: Lang) -> String {
    match (b, lang) {
        (Below::Server { busy, threads }, Lang::En) => format!(
            "{}: the server's {threads} thread{} {} busy {:.0} % of the time, so the server, not the client's model, set the pace.",
            head,
            if threads > 1 { "s" } else { "" },
            if threads > 1 { "were" } else { "was" },
            100.0 * busy
        ),
        (Below::Server { busy, threads }, Lang::Fr) => format!(
            "{} : {threads} thread{} du serveur occupé{} {:.0} % du temps ; c'est le serveur, pas le modèle du client, qui donnait le rythme.",
            head,
            if threads > 1 { "s" } else { "" },
            if threads > 1 { "s" } else { "" },
            100.0 * busy
        ),
        (Below::Cpus { used, of, here_s, alone_s }, _) => {
            let rose = here_s > alone_s * (1.0 + HOLDS);
            match (rose, lang) {
                (true, Lang::En) => format!(
                    "{}: {used:.1} of the {of:.0} cores it can use were busy, and a request cost {} of client CPU against {} alone: the extra is what many requests in flight cost together (context switches, contention), which the model, fed at C = 1, does not count.",
                    head,
                    cpu(here_s),
                    cpu(alone_s)
                ),
                (true, Lang::Fr) => format!(
                    "{} : {used:.1} des {of:.0} cœurs qu'il peut occuper étaient occupés, et une requête a coûté {} de CPU client contre {} seule : l'excédent est ce que coûtent ensemble beaucoup de requêtes en cours (changements de contexte, contention), que le modèle, nourri à C = 1, ne compte pas.",
                    head,
                    cpu(here_s),
                    cpu(alone_s)
                ),
                (false, Lang::En) => format!(
                    "{}: {used:.1} of the {of:.0} cores it can use were busy, though a request cost {} of client CPU against {} alone: what filled the cores beyond that is not counted per request in this run.",
                    head,
                    cpu(here_s),
                    cpu(alone_s)
                ),
                (false, Lang::Fr) => format!(
                    "{} : {used:.1} des {of:.0} cœurs qu'il peut occuper étaient occupés, alors qu'une requête a coûté {} de CPU client contre {} seule : ce qui a rempli les cœurs au-delà n'est pas compté par requête dans cette mesure.",
                    head,
                    cpu(here_s),
                    cpu(alone_s)
                ),
            }
        }
        (Below::Disk { here_s, alone_s }, Lang::En) => format!(
            "{}: a request spent {} in flight against {} alone (in flight / throughput, Little's law), queued at the device; the model has no figure for the device's own limit, which C = 1 does not reach.",
            head,
            duration_ns(here_s * 1e9),
            duration_ns(alone_s * 1e9)
        ),
        (Below::Disk { here_s, alone_s }, Lang::Fr) => format!(
            "{} : une requête est restée {} en cours contre {} seule (en cours / débit, loi de Little), en file devant le périphérique ; le modèle n'a aucun chiffre pour la limite propre du disque, que C = 1 n'atteint pas.",
            head,
            duration_ns(here_s * 1e9),
            duration_ns(alone_s * 1e9)
        ),
        (Below::Serialised { used, of }, Lang::En) => format!(
            "{}: the prediction gave it the machine's {of:.0} CPUs, and it kept {used:.1} busy: its requests ran one core at a time or less (a lock such as Python's GIL, or too few workers), which the model does not know.",
            head
        ),
        (Below::Serialised { used, of }, Lang::Fr) => format!(
            "{} : la prédiction lui donnait les {of:.0} CPU de la machine, et il en a occupé {used:.1} : ses requêtes passaient un cœur à la fois ou moins (un verrou comme le GIL de Python, ou trop peu de travailleurs), ce que le modèle ignore.",
            head
        ),
        (Below::Unknown { here_s, alone_s }, Lang::En) => format!(
            "{}: neither the server's threads nor the CPUs were {:.0} % busy and no O_DIRECT file was read, yet a request held its place {} against {} alone (in flight / throughput, Little's law): requests queued somewhere the model does not see.",
            head,
            100.0 * SATURATED,
            duration_ns(here_s * 1e9),
            duration_ns(alone_s * 1e9)
        ),
        (Below::Unknown { here_s, alone_s }, Lang::Fr) => format!(
            "{} : ni les threads du serveur ni les CPU n'étaient occupés à {:.0} % et aucun fichier O_DIRECT n'était lu, pourtant une requête a occupé sa place {} contre {} seule (en cours / débit, loi de Little) : les requêtes attendaient quelque part où le modèle ne voit pas.",
            head,
            100.0 * SATURATED,
            duration_ns(here_s * 1e9),
            duration_ns(alone_s * 1e9)
        ),
        (Below::Busy { busy, reps }, Lang::En) => format!(
            "{}: {busy} of its {reps} repetitions ran while something else used the machine (CPU steal or other processes), so its median may show that, not the model; no other reading is given for it.",
            head
        ),
        (Below::Busy { busy, reps }, Lang::Fr) => format!(
            "{} : {busy} de ses {reps} répétitions ont tourné pendant que la machine était occupée (vol de CPU ou autres processus) : sa médiane peut le refléter plutôt que le modèle ; aucune autre lecture n'en est donnée.",
            head
        ),
    }
}

/// Above the prediction: why it was too pessimistic; `in_cell` of the
/// kind's `n` rows hold when fed with their own CPU per request.
pub(super) fn above_why(a: Above, head: &str, in_cell: usize, n: usize, lang: Lang) -> String {
    match (a, lang) {
        (Above::CpuFell { side, alone_s, here_s }, Lang::En) => format!(
            "{}: it divided by the {} CPU a lone request cost ({}), and here a request cost {}: what a request alone pays in full (a wake-up, a timer, an idle loop) many in flight share. Fed with each cell's own CPU per request, the same model is within {:.0} % of the measurement at {in_cell} of these {n} points. (iobound advise takes its CPU from a loaded cell for this reason.)",
            head,
            match side {
                Side::Client => "client's",
                Side::Server => "server's",
                Side::Both => "client's and server's",
            },
            cpu(alone_s),
            cpu(here_s),
            100.0 * HOLDS
        ),
        (Above::CpuFell { side, alone_s, here_s }, Lang::Fr) => format!(
            "{} : elle divisait par le CPU {} qu'une requête seule a coûté ({}), et ici une requête a coûté {} : ce qu'une requête seule paie en entier (un réveil, une minuterie, une boucle qui attend) se partage entre beaucoup en cours. Nourri du CPU par requête de chaque cellule, le même modèle tient à {:.0} % près en {in_cell} de ces {n} points. (C'est pourquoi iobound advise prend son CPU dans une cellule chargée.)",
            head,
            match side {
                Side::Client => "du client",
                Side::Server => "du serveur",
                Side::Both => "du client et du serveur",
            },
            cpu(alone_s),
            cpu(here_s),
            100.0 * HOLDS
        ),
        (Above::FasterThanAlone { here_s, alone_s }, Lang::En) => format!(
            "{}: it assumed each request in flight takes as long as one alone ({}), and here each held its place {} (requests served at once — a pool serves as many as it has workers — over throughput, Little's law): requests went faster together than alone.",
            head,
            duration_ns(alone_s * 1e9),
            duration_ns(here_s * 1e9)
        ),
        (Above::FasterThanAlone { here_s, alone_s }, Lang::Fr) => format!(
            "{} : elle supposait que chaque requête en cours dure autant qu'une seule ({}), et ici chacune a occupé sa place {} (requêtes servies à la fois — un pool en sert autant qu'il a de travailleurs — sur le débit, loi de Little) : les requêtes sont allées plus vite ensemble que seules.",
            head,
            duration_ns(alone_s * 1e9),
            duration_ns(here_s * 1e9)
        ),
        (Above::Unknown, Lang::En) => format!(
            "{}: its CPU per request did not fall below the C = 1 figure it was computed from.",
            head
        ),
        (Above::Unknown, Lang::Fr) => format!(
            "{} : son CPU par requête n'est pas tombé sous le chiffre à C = 1 dont elle vient.",
            head
        ),
    }
}

/// Right by chance: the ceiling the cell's own CPU per request gives, and
/// how much of it the row `measured`.
pub(super) fn by_chance_why(in_cell: f64, measured: f64, head: &str, lang: Lang) -> String {
    match lang {
        Lang::En => format!(
            "{}: the prediction named a CPU ceiling, but with the cell's own CPU per request that ceiling is {} req/s, and the measurement reached {:.0} % of it: a CPU per request that fell and another limit cancelled out.",
            head,
            rps(in_cell),
            100.0 * measured / in_cell
        ),
        Lang::Fr => format!(
            "{} : la prédiction nommait un plafond de CPU, mais avec le CPU par requête de la cellule ce plafond est de {} requêtes/s, et la mesure en a atteint {:.0} % : un CPU par requête en baisse et une autre limite se sont compensés.",
            head,
            rps(in_cell),
            100.0 * measured / in_cell
        ),
    }
}
