//! Path templates (`/items/{item_id}`, `/files/{*rest}`), checked at compile time with the
//! rules the router applies at start-up, so a bad template never reaches a running server.

/// One parameter of a template.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct PathParam {
    pub(crate) name: String,
    pub(crate) catch_all: bool,
}

/// The parameters of `template`, or why it is not a valid template.
pub(crate) fn parse(template: &str) -> Result<Vec<PathParam>, String> {
    if !template.starts_with('/') {
        return Err(format!("a route path must start with `/`: `{template}`"));
    }
    if let Some(c) = template.chars().find(|c| matches!(c, '?' | '#' | ' ')) {
        return Err(format!("a route path cannot contain `{c}`: `{template}`"));
    }
    let segments: Vec<&str> = template[1..].split('/').collect();
    let mut params: Vec<PathParam> = Vec::new();
    for (i, seg) in segments.iter().enumerate() {
        let mut in_segment = 0;
        let mut rest = *seg;
        while let Some(open) = rest.find(['{', '}']) {
            let after = &rest[open + 1..];
            // `{{` and `}}` are literal braces.
            if after.starts_with(&rest[open..=open]) {
                rest = &after[1..];
                continue;
            }
            if rest.as_bytes()[open] == b'}' {
                return Err(format!(
                    "unmatched `}}` in `{template}` (write `}}}}` for a literal brace)"
                ));
            }
            let Some(close) = after.find('}') else {
                return Err(format!("unclosed `{{` in `{template}`"));
            };
            let inner = &after[..close];
            let (name, catch_all) = match inner.strip_prefix('*') {
                Some(n) => (n, true),
                None => (inner, false),
            };
            if !is_ident(name) {
                return Err(format!(
                    "`{{{inner}}}` in `{template}`: a parameter name must be a Rust identifier, the name of a handler argument"
                ));
            }
            if catch_all && (i + 1 != segments.len() || close + 1 != after.len() || open != 0) {
                return Err(format!(
                    "`{{*{name}}}` in `{template}`: a catch-all parameter must be a whole last segment"
                ));
            }
            in_segment += 1;
            if in_segment > 1 {
                return Err(format!(
                    "`{template}`: only one parameter is allowed per path segment"
                ));
            }
            if params.iter().any(|p| p.name == name) {
                return Err(format!("`{template}`: parameter `{name}` appears twice"));
            }
            params.push(PathParam {
                name: name.to_owned(),
                catch_all,
            });
            rest = &after[close + 1..];
        }
    }
    Ok(params)
}

fn is_ident(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
        && s != "_"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(t: &str) -> Vec<String> {
        parse(t)
            .expect("valid")
            .into_iter()
            .map(|p| p.name)
            .collect()
    }

    #[test]
    fn valid_templates() {
        assert_eq!(names("/"), Vec::<String>::new());
        assert_eq!(names("/items/{item_id}"), ["item_id"]);
        assert_eq!(names("/a/{x}/b/{y}"), ["x", "y"]);
        assert_eq!(names("/img-{id}.png"), ["id"]);
        assert_eq!(names("/files/{*rest}"), ["rest"]);
        assert_eq!(names("/lit/{{braces}}"), Vec::<String>::new());
        assert!(parse("/files/{*rest}").expect("valid")[0].catch_all);
    }

    #[test]
    fn invalid_templates() {
        for (t, why) in [
            ("items", "must start with `/`"),
            ("/items/{id", "unclosed"),
            ("/items/id}", "unmatched"),
            ("/items/{}", "Rust identifier"),
            ("/items/{1x}", "Rust identifier"),
            ("/items/{a}-{b}", "one parameter"),
            ("/{a}/{a}", "appears twice"),
            ("/{*rest}/more", "catch-all"),
            ("/x?y=1", "cannot contain `?`"),
        ] {
            let err = parse(t).expect_err(t);
            assert!(err.contains(why), "{t}: {err}");
        }
    }
}
