//! Opaque page cursors: the last row's sort key, as hex-encoded JSON. Opaque so
//! clients cannot build them; hex so they survive URLs untouched.

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::StoreError;

pub(crate) fn encode<T: Serialize>(key: &T) -> String {
    let json = serde_json::to_vec(key).unwrap_or_default();
    let mut out = String::with_capacity(json.len() * 2);
    for byte in json {
        out.push_str(&format!("{byte:02x}"));
    }
    out
}

pub(crate) fn decode<T: DeserializeOwned>(cursor: &str) -> Result<T, StoreError> {
    let invalid = || StoreError::Invalid("cursor: not a cursor this server issued".to_string());
    if !cursor.len().is_multiple_of(2) || !cursor.is_ascii() {
        return Err(invalid());
    }
    let bytes = (0..cursor.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&cursor[i..i + 2], 16))
        .collect::<Result<Vec<u8>, _>>()
        .map_err(|_| invalid())?;
    serde_json::from_slice(&bytes).map_err(|_| invalid())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn round_trip_and_garbage() {
        let c = encode(&(42_i64, "t-1".to_string()));
        assert_eq!(
            decode::<(i64, String)>(&c).unwrap(),
            (42, "t-1".to_string())
        );
        assert!(matches!(
            decode::<(i64, String)>("zz"),
            Err(StoreError::Invalid(_))
        ));
        assert!(matches!(
            decode::<(i64, String)>("abc"),
            Err(StoreError::Invalid(_))
        ));
        assert!(matches!(
            decode::<(i64, String)>(&encode(&1)),
            Err(StoreError::Invalid(_))
        ));
    }
}
