//! `Json` and `Query` extractors whose rejections use the API's JSON error shape
//! (axum's own answer with plain text).
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

use super::AppError;

pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_rejection(rejection: JsonRejection) -> AppError {
    if let Some(passed) = super::deadline::passed(&rejection) {
        return AppError::RequestTimeout(passed.to_string());
    }
    let message = rejection.body_text();
    match rejection.status() {
        StatusCode::PAYLOAD_TOO_LARGE => AppError::PayloadTooLarge(message),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => AppError::UnsupportedMediaType(message),
        StatusCode::UNPROCESSABLE_ENTITY => AppError::Unprocessable {
            field: None,
            message,
        },
        _ => AppError::BadRequest(message),
    }
}

/// Integers in bodies: JSON has one kind of number, so `3.0` is the integer 3 (as JSON
/// Schema says) wherever an integer is taken; `3.5`, or one out of the field's range, is
/// refused. For `#[serde(deserialize_with = "...")]`.
pub mod whole {
    use serde::de::{self, Deserializer, Visitor};
    use std::fmt;
    use std::marker::PhantomData;

    struct Whole<T>(PhantomData<T>);

    impl<T: TryFrom<i128>> Visitor<'_> for Whole<T> {
        type Value = T;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("an integer")
        }

        fn visit_i64<E: de::Error>(self, n: i64) -> Result<T, E> {
            T::try_from(i128::from(n)).map_err(|_| E::custom(format!("{n} is out of range")))
        }

        fn visit_u64<E: de::Error>(self, n: u64) -> Result<T, E> {
            T::try_from(i128::from(n)).map_err(|_| E::custom(format!("{n} is out of range")))
        }

        fn visit_f64<E: de::Error>(self, n: f64) -> Result<T, E> {
            // Below 2^53 every integer is exact, so the cast loses nothing.
            if n.fract() == 0.0 && n.abs() < 9.007_199_254_740_992e15 {
                #[allow(clippy::cast_possible_truncation)]
                return self.visit_i64(n as i64);
            }
            Err(E::invalid_type(de::Unexpected::Float(n), &self))
        }
    }

    struct Item<T>(T);

    impl<'de, T: TryFrom<i128>> serde::Deserialize<'de> for Item<T> {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            d.deserialize_any(Whole(PhantomData)).map(Item)
        }
    }

    pub fn option<'de, D: Deserializer<'de>, T: TryFrom<i128>>(
        d: D,
    ) -> Result<Option<T>, D::Error> {
        let item: Option<Item<T>> = serde::Deserialize::deserialize(d)?;
        Ok(item.map(|Item(n)| n))
    }

    pub fn list<'de, D: Deserializer<'de>, T: TryFrom<i128>>(d: D) -> Result<Vec<T>, D::Error> {
        let items: Vec<Item<T>> = serde::Deserialize::deserialize(d)?;
        Ok(items.into_iter().map(|Item(n)| n).collect())
    }
}

pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        // The query decoder would quietly turn bytes that are not UTF-8 into U+FFFD.
        if let Some(query) = parts.uri.query() {
            if std::str::from_utf8(&percent_decode(query)).is_err() {
                return Err(AppError::BadRequest(
                    "query string: percent-encoded bytes are not valid UTF-8".to_string(),
                ));
            }
        }
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(ApiQuery(value)),
            Err(rejection) => Err(query_rejection(rejection)),
        }
    }
}

fn query_rejection(rejection: QueryRejection) -> AppError {
    AppError::BadRequest(rejection.body_text())
}

/// `%XX` sequences to bytes; anything else (including a stray `%`) is kept as is.
fn percent_decode(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let hex = bytes
            .get(i + 1..i + 3)
            .filter(|h| h.iter().all(u8::is_ascii_hexdigit))
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (b, hex) {
            (b'%', Some(decoded)) => {
                out.push(decoded);
                i += 3;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::percent_decode;

    #[test]
    fn integral_floats_are_integers() {
        #[derive(serde::Deserialize, Debug, PartialEq)]
        struct Body {
            #[serde(default, deserialize_with = "super::whole::option")]
            at: Option<usize>,
            #[serde(deserialize_with = "super::whole::list")]
            order: Vec<u32>,
        }
        let read = |text: &str| serde_json::from_str::<Body>(text);
        assert_eq!(
            read(r#"{"at": 3.0, "order": [1, 2.0, 0]}"#).unwrap(),
            Body {
                at: Some(3),
                order: vec![1, 2, 0]
            }
        );
        assert_eq!(read(r#"{"at": null, "order": []}"#).unwrap().at, None);
        assert!(read(r#"{"at": 2.5, "order": []}"#).is_err());
        assert!(read(r#"{"at": -1, "order": []}"#).is_err());
        assert!(read(r#"{"order": [1e300]}"#).is_err());
        assert!(read(r#"{"order": ["1"]}"#).is_err());
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("a%20b"), b"a b");
        assert_eq!(percent_decode("%ff%FE"), [0xff, 0xfe]);
        assert_eq!(percent_decode("100%"), b"100%");
        assert_eq!(percent_decode("%zz%4"), b"%zz%4");
        assert_eq!(percent_decode("%+1"), b"%+1");
        assert_eq!(percent_decode("%F0%9F%92%A9"), "\u{1F4A9}".as_bytes());
    }
}
