//! YAML → `serde_json::Value`, so YAML input goes through the same
//! validating parser as JSON. Done by hand (not via serde) so that values
//! JSON cannot hold (`.nan`, `.inf`, non-scalar keys) become field errors
//! with their path instead of silently turning into `null`.

use serde_json::{Map, Number, Value};
use serde_yaml::Value as Yaml;

use crate::model::FieldError;

pub(crate) fn json_from_yaml_str(s: &str) -> Result<Value, Vec<FieldError>> {
    let mut yaml: Yaml = serde_yaml::from_str(s)
        .map_err(|e| vec![FieldError::new("", format!("invalid YAML: {e}"))])?;
    yaml.apply_merge()
        .map_err(|e| vec![FieldError::new("", format!("invalid YAML merge key: {e}"))])?;
    json_from_yaml(&yaml, "")
}

pub(crate) fn json_from_yaml(yaml: &Yaml, path: &str) -> Result<Value, Vec<FieldError>> {
    let mut errors = Vec::new();
    let value = convert(yaml, path, &mut errors);
    if errors.is_empty() {
        Ok(value)
    } else {
        Err(errors)
    }
}

fn child(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn convert(yaml: &Yaml, path: &str, errors: &mut Vec<FieldError>) -> Value {
    match yaml {
        Yaml::Null => Value::Null,
        Yaml::Bool(b) => Value::Bool(*b),
        Yaml::Number(n) => {
            if let Some(u) = n.as_u64() {
                Value::from(u)
            } else if let Some(i) = n.as_i64() {
                Value::from(i)
            } else {
                let f = n.as_f64().unwrap_or(f64::NAN);
                match Number::from_f64(f) {
                    Some(n) => Value::Number(n),
                    None => {
                        errors.push(FieldError::new(
                            path,
                            format!("must be a finite number, got {n}"),
                        ));
                        Value::Null
                    }
                }
            }
        }
        Yaml::String(s) => Value::String(s.clone()),
        Yaml::Sequence(items) => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| convert(item, &format!("{path}[{i}]"), errors))
                .collect(),
        ),
        Yaml::Mapping(map) => {
            let mut out = Map::new();
            for (k, v) in map {
                let key = match k {
                    Yaml::String(s) => s.clone(),
                    Yaml::Number(n) => n.to_string(),
                    Yaml::Bool(b) => b.to_string(),
                    Yaml::Null => "null".to_string(),
                    _ => {
                        errors.push(FieldError::new(path, "mapping keys must be plain scalars"));
                        continue;
                    }
                };
                let value = convert(v, &child(path, &key), errors);
                out.insert(key, value);
            }
            Value::Object(out)
        }
        // Tags carry no meaning here; use the tagged value.
        Yaml::Tagged(tagged) => convert(&tagged.value, path, errors),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use crate::model::RuleSet;

    #[test]
    fn yaml_specific_errors_have_paths() {
        let errors =
            RuleSet::from_yaml_str("rules:\n  - {match: a, action: block, cost_max_usd: .inf}\n")
                .unwrap_err();
        assert_eq!(
            errors[0].to_string(),
            "rules[0].cost_max_usd: must be a finite number, got .inf"
        );
        assert!(RuleSet::from_yaml_str("rules: [").unwrap_err()[0]
            .message
            .starts_with("invalid YAML"));
    }

    #[test]
    fn anchors_and_merge_keys() {
        let text = "base: &b {action: block}\n";
        // Unknown top-level key `base` is still an error...
        assert!(RuleSet::from_yaml_str(&format!("{text}rules: []")).is_err());
        // ...but merges inside rules work.
        let rs = RuleSet::from_yaml_str(
            "rules:\n  - &r {match: a, action: block}\n  - {<<: *r, match: b}\n",
        )
        .unwrap();
        assert_eq!(rs.rules[1].pattern, "b");
        assert_eq!(rs.rules[1].action, crate::Action::Block);
    }
}
