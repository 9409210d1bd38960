//! Operations over policy models: [`merge`], [`diff`], [`set`], [`explain`] and [`audit`].
//!
//! All of them compare items by **content** ([`keys`]), never by ID: IDs, `FriendlyName`s and
//! signer `Name`s are labels that binary policies do not even store.
//!
//! # Merge rules
//!
//! [`merge::merge`] is the union of what its inputs allow, written so that the result does not
//! depend on the order of the inputs and merging a policy with itself changes nothing beyond what
//! merging it alone does (the merge's normal form: canonical order, exact duplicates collapsed).
//!
//! * **Types.** All inputs must have the same type. Base + supplemental is refused unless
//!   [`merge::MergeOptions::allow_mixed_types`] is set; the result is then a base policy with the
//!   base's IDs, and the supplementals' rules become part of it (including Deny rules, which
//!   Windows ignores in a supplemental). AppID tagging policies merge only with each other.
//!   Legacy single-format inputs (a `PolicyTypeID`) stay legacy when all inputs are legacy;
//!   otherwise the result uses the multiple-policy format.
//! * **IDs.** When every input of the result's type has the same `PolicyID`, it is kept;
//!   otherwise the `PolicyID` is a UUIDv5 of the sorted input IDs, so merging the same policies
//!   again gives the same ID. A base keeps `BasePolicyID = PolicyID`; supplementals must all extend
//!   the same base, whose ID is kept.
//! * **Header.** `VersionEx` is the highest input version (a signed replacement must not go
//!   down). `HvciOptions` is the bitwise OR of the inputs' values. `PlatformID` is kept when the
//!   inputs agree, otherwise the standard one. Different `FriendlyName`s are joined with ` + ` in
//!   sorted order.
//! * **Options.** The union: an option any input sets is set. Options that only some inputs set
//!   are listed in the merge notes, because an option widens or narrows every rule (Audit Mode,
//!   Disabled:Script Enforcement, …). Output order: Set-RuleOption number, then the options
//!   without a number, then unknown text.
//! * **Settings.** The union by (Provider, Key, ValueName). Equal values collapse; different
//!   `PolicyInfo/Information/Name` and `…/Id` strings are joined with ` + `; any other
//!   disagreement is refused. Macros and AppSettings: union, disagreement refused.
//! * **EKUs, file rules, artifact rules, signers** collapse when their content (see [`keys`], exact
//!   mode: every attribute except `ID`, `FriendlyName` and `Name`; references compared by the
//!   content they point at) **and** their places are equal. A place is where the item is used:
//!   a scenario's Allowed/Denied signers or FileRulesRef, an exception list, UpdatePolicySigners,
//!   SupplementalPolicySigners, CiSigners, or (for a FileAttrib) the places of the signers that
//!   use it. So a merge never makes two scenarios share a signer or rule that no input shared;
//!   ConfigCI keeps one copy per scenario too. EKUs collapse by value alone. When two different
//!   items with equal content end up in one list (their places differed in the inputs), the
//!   one used in more places is kept there.
//! * **Signer lists.** A signer listed in the same list by several inputs gets the
//!   *intersection* of their exception lists ("allowed except A" ∪ "allowed except B" is "allowed
//!   except A ∩ B").
//! * **Nothing is dropped silently.** Items that no input referenced stay; items that were
//!   referenced and lost every reference in the merge (a collapsed copy, an exception that fell
//!   out of an intersection) are removed.
//! * **Kept IDs.** Every item keeps an ID it had in an input; of several, the naturally smallest
//!   free one (`ID_ALLOW_A_2` before `ID_ALLOW_A_10`). When one ID names different content in
//!   different inputs, one item keeps it and the other gets the ID followed by `_` and eight hex
//!   digits of a hash of its content — deterministic, readable, and never ConfigCI's growing
//!   `_0_1` suffixes. Items with fewer ID choices pick first, then in content order.
//! * **Order.** EKUs, signers and artifact rules by natural ID order; file rules by element
//!   (Allow, Deny, FileAttrib, FileRule) then natural ID; scenarios by value, 131 before 12;
//!   references inside lists by natural ID; settings by Provider, Key, ValueName ignoring case.
//!   A scenario's `MinimumHashAlgorithm` is the weakest an input allows.

pub mod audit;
pub mod diff;
pub mod explain;
pub mod keys;
pub mod merge;
pub mod natural;
pub mod set;
