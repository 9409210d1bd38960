//! Layer 2: what the policy means. Each file holds one family of the catalogue's checks.

mod file_rules;
mod gating;
mod ids;
mod policy_type;
mod refs;
pub(crate) mod signers;
mod unused;

use foldhash::{HashMap, HashMapExt};

use super::Options;
use super::codes::Code;
use super::finding::{Finding, Location};
use crate::model::{FileRule, Policy};
use crate::xml::SourceMap;

/// File rules by ID, built once per policy: several checks resolve rule IDs, and building a map
/// of thousands of IDs for each of them was a large part of validating a big policy.
pub(crate) struct RuleIndex<'a> {
    rules: &'a [FileRule],
    /// The index of the first rule with each ID. Only asked, never iterated, so its order cannot
    /// reach the output.
    by_id: HashMap<&'a str, usize>,
    /// For each rule, the index of the first rule with its ID (its own index unless the ID is a
    /// duplicate).
    first: Vec<usize>,
}

impl<'a> RuleIndex<'a> {
    fn new(rules: &'a [FileRule]) -> Self {
        let mut by_id = HashMap::with_capacity(rules.len());
        let first = rules
            .iter()
            .enumerate()
            .map(|(i, r)| *by_id.entry(r.id.as_str()).or_insert(i))
            .collect();
        RuleIndex { rules, by_id, first }
    }

    /// The index of the first rule with this ID.
    pub fn position(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).copied()
    }

    /// The first rule with this ID.
    pub fn get(&self, id: &str) -> Option<&'a FileRule> {
        let rules = self.rules;
        self.position(id).map(|i| &rules[i])
    }

    /// For each rule, the index of the first rule with the same ID.
    pub fn firsts(&self) -> &[usize] {
        &self.first
    }
}

/// What the checks see.
pub(crate) struct Ctx<'a> {
    /// The policy.
    pub p: &'a Policy,
    /// Positions, when the policy came from text.
    pub src: Option<&'a SourceMap>,
    /// Options (target, reference time, other policies).
    pub opts: &'a Options,
    /// True when the schema layer already ran on the document (so XSD-level duplicates of model
    /// checks are skipped).
    pub schema_ran: bool,
    /// Findings so far.
    pub out: Vec<Finding>,
    /// The policy's file rules by ID.
    pub rule_ids: RuleIndex<'a>,
}

impl<'a> Ctx<'a> {
    pub fn new(p: &'a Policy, src: Option<&'a SourceMap>, opts: &'a Options, schema_ran: bool) -> Self {
        Ctx {
            p,
            src,
            opts,
            schema_ran,
            out: Vec::new(),
            rule_ids: RuleIndex::new(&p.file_rules),
        }
    }

    /// The location of a model path.
    pub fn loc(&self, path: &str) -> Location {
        match self.src.and_then(|m| m.get(path)) {
            Some(span) => Location::text(span, Some(path.to_string())),
            None => Location::Model { path: path.to_string() },
        }
    }

    /// Reports a finding at a model path.
    pub fn emit(&mut self, code: Code, path: &str, message: impl Into<String>) {
        let f = Finding::new(code, self.loc(path), message);
        self.out.push(f);
    }

    /// Reports a finding with help text.
    pub fn emit_help(&mut self, code: Code, path: &str, message: impl Into<String>, help: impl Into<String>) {
        let f = Finding::new(code, self.loc(path), message).with_help(help);
        self.out.push(f);
    }
}

/// Runs every semantic and target check.
pub(crate) fn run(cx: &mut Ctx<'_>) {
    ids::check(cx);
    refs::check(cx);
    unused::check(cx);
    file_rules::check(cx);
    policy_type::check(cx);
    signers::check(cx);
    gating::check(cx);
}

/// Model path of a signer group inside a scenario (`signing_scenarios[0].product_signers`).
pub(crate) fn group_path(scenario: usize, group: usize) -> String {
    const NAMES: [&str; 3] = ["product_signers", "test_signers", "test_signing_signers"];
    format!("signing_scenarios[{scenario}].{}", NAMES[group])
}
