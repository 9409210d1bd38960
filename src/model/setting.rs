//! `<Settings>` (secure settings), `<Macros>` and `<AppSettings>`.

use super::HexBytes;

/// The typed value of a secure setting.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub enum SettingValue {
    /// `<Boolean>`.
    Boolean(bool),
    /// `<DWord>`.
    DWord(u32),
    /// `<Binary>`.
    Binary(HexBytes),
    /// `<String>`.
    String(String),
}

impl SettingValue {
    /// Element name of the value.
    pub fn type_name(&self) -> &'static str {
        match self {
            SettingValue::Boolean(_) => "Boolean",
            SettingValue::DWord(_) => "DWord",
            SettingValue::Binary(_) => "Binary",
            SettingValue::String(_) => "String",
        }
    }
}

/// `<Setting Provider Key ValueName>`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub struct Setting {
    /// `Provider`.
    pub provider: String,
    /// `Key`.
    pub key: String,
    /// `ValueName`.
    pub value_name: String,
    /// `Value`.
    pub value: SettingValue,
}

/// `<Macro Id Value>`: text substituted into `$(Id)` references in `AppIDs`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub struct Macro {
    /// `Id`.
    pub id: String,
    /// `Value`.
    pub value: String,
}

/// `<AppSettings><App Manifest>` (newest schema).
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub struct App {
    /// `Manifest`: URI of the application manifest that defines the settings.
    pub manifest: String,
    /// `Setting` children.
    pub settings: Vec<AppSetting>,
}

/// `<App><Setting Name><Value>…</Value></Setting>`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub struct AppSetting {
    /// `Name`.
    pub name: Option<String>,
    /// `Value` children, in order.
    pub values: Vec<String>,
}
