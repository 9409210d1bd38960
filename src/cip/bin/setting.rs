//! Secure settings (§4.7) and AppSettings (section 8, §5.6).

use super::super::error::DecodeErrorKind;
use super::super::reader::{ReadResult, Reader};
use super::Codec;
use super::prim::{put_len, put_strings, put_u32, read_strings};

/// The typed value of a secure setting.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum BinSettingValue {
    /// Type 0, u32 0 or 1.
    Boolean(bool),
    /// Type 1.
    DWord(u32),
    /// Type 2, blob.
    Binary(Vec<u8>),
    /// Type 3, string.
    String(String),
}

/// One secure setting. Strings use "" for absent.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct BinSetting {
    /// Provider.
    pub provider: String,
    /// Key.
    pub key: String,
    /// ValueName.
    pub value_name: String,
    /// Value.
    pub value: BinSettingValue,
}

impl BinSetting {
    /// Smallest encoding: three empty strings, type, one value word.
    pub const MIN_SIZE: usize = 3 * 8 + 4 + 4;
}

impl Codec for BinSetting {
    fn encode(&self, out: &mut Vec<u8>) {
        self.provider.encode(out);
        self.key.encode(out);
        self.value_name.encode(out);
        match &self.value {
            BinSettingValue::Boolean(b) => {
                put_u32(out, 0);
                put_u32(out, u32::from(*b));
            }
            BinSettingValue::DWord(v) => {
                put_u32(out, 1);
                put_u32(out, *v);
            }
            BinSettingValue::Binary(v) => {
                put_u32(out, 2);
                v.encode(out);
            }
            BinSettingValue::String(s) => {
                put_u32(out, 3);
                s.encode(out);
            }
        }
    }

    fn read(r: &mut Reader<'_>) -> ReadResult<Self> {
        let provider = r.field("Provider", String::read)?;
        let key = r.field("Key", String::read)?;
        let value_name = r.field("ValueName", String::read)?;
        let value = r.field("Value", |r| {
            let at = r.offset();
            match r.u32()? {
                0 => {
                    let at = r.offset();
                    match r.u32()? {
                        0 => Ok(BinSettingValue::Boolean(false)),
                        1 => Ok(BinSettingValue::Boolean(true)),
                        n => Err(r.error_at(
                            at,
                            DecodeErrorKind::BadValue {
                                field: "Boolean setting (0 or 1)",
                                value: n.to_string(),
                            },
                        )),
                    }
                }
                1 => Ok(BinSettingValue::DWord(r.u32()?)),
                2 => Ok(BinSettingValue::Binary(Vec::<u8>::read(r)?)),
                3 => Ok(BinSettingValue::String(String::read(r)?)),
                n => Err(r.error_at(
                    at,
                    DecodeErrorKind::BadValue {
                        field: "setting type (0 Boolean, 1 DWord, 2 Binary, 3 String)",
                        value: n.to_string(),
                    },
                )),
            }
        })?;
        Ok(BinSetting {
            provider,
            key,
            value_name,
            value,
        })
    }
}

/// The value of one app setting definition. Known only from AppControl Manager (§5.6, \[S1\]); the
/// one-byte tags break the 4-byte alignment of everything after them.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum BinAppValue {
    /// Tag 0 (or 1, which AppControl Manager's reader also accepts) and one byte.
    Bool {
        /// The tag byte as stored.
        tag: u8,
        /// The value byte.
        value: u8,
    },
    /// Tag 3 and one string.
    String(String),
    /// Tag 4, a count and strings.
    StringSet(Vec<String>),
}

/// One setting definition of an app manifest.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct BinAppDefinition {
    /// Setting name.
    pub name: String,
    /// Typed value.
    pub value: BinAppValue,
    /// Flags (bit 0 = IgnoreAuditPolicies).
    pub flags: u32,
}

/// One app of section 8.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct BinApp {
    /// The manifest's Id.
    pub id: String,
    /// Every setting definition of the manifest, manifest order.
    pub definitions: Vec<BinAppDefinition>,
}

impl Codec for BinApp {
    fn encode(&self, out: &mut Vec<u8>) {
        self.id.encode(out);
        put_len(out, self.definitions.len());
        for d in &self.definitions {
            d.name.encode(out);
            match &d.value {
                BinAppValue::Bool { tag, value } => {
                    out.push(*tag);
                    out.push(*value);
                }
                BinAppValue::String(s) => {
                    out.push(3);
                    s.encode(out);
                }
                BinAppValue::StringSet(v) => {
                    out.push(4);
                    put_strings(out, v);
                }
            }
            put_u32(out, d.flags);
        }
    }

    fn read(r: &mut Reader<'_>) -> ReadResult<Self> {
        let id = r.field("Id", String::read)?;
        let n = r.field("count", |r| r.count(8 + 2 + 4))?;
        let mut definitions = Vec::with_capacity(n);
        for i in 0..n {
            definitions.push(r.item("Definitions", i, |r| {
                let name = r.field("Name", String::read)?;
                let value = r.field("Value", |r| {
                    let at = r.offset();
                    match r.bytes(1)?[0] {
                        tag @ (0 | 1) => Ok(BinAppValue::Bool {
                            tag,
                            value: r.bytes(1)?[0],
                        }),
                        3 => Ok(BinAppValue::String(String::read(r)?)),
                        4 => Ok(BinAppValue::StringSet(read_strings(r)?)),
                        n => Err(r.error_at(
                            at,
                            DecodeErrorKind::BadValue {
                                field: "app setting type tag (0/1 Bool, 3 String, 4 StringSet)",
                                value: n.to_string(),
                            },
                        )),
                    }
                })?;
                let flags = r.field("Flags", |r| r.u32())?;
                Ok(BinAppDefinition { name, value, flags })
            })?);
        }
        Ok(BinApp { id, definitions })
    }
}
