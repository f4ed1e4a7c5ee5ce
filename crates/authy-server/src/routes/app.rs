//! The application: details and monthly statistics (WIRE.md §3.11, §3.12).

use axum::extract::State;
use axum::response::Response;
use serde_json::json;

use crate::db::CounterRow;
use crate::error::{AppError, ok};
use crate::params::Api;
use crate::state::AppState;

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// `GET /protected/json/app/details`
pub async fn details(Api { app, .. }: Api) -> Result<Response, AppError> {
    Ok(ok(json!({
        "message": "Application information.",
        "success": true,
        "app": {
            "name": app.name,
            "plan": app.plan,
            "sms_enabled": app.sms_enabled,
            "phone_calls_enabled": app.phone_calls_enabled,
            "onetouch_enabled": app.onetouch_enabled,
            "white_label": false,
            "app_id": app.id,
        },
    })))
}

/// `GET /protected/json/app/stats`: the last twelve months, oldest first, from
/// the counters the server keeps.
pub async fn stats(
    State(state): State<AppState>,
    Api { app, .. }: Api,
) -> Result<Response, AppError> {
    state.flush_counts().await?;
    let counters = state.db.counters(app.id).await?;
    let total_users = state.db.user_count(app.id).await?;
    let (year, month) = crate::clock::year_month(state.now(&app));
    let stats: Vec<_> = last_twelve_months(year, month)
        .into_iter()
        .map(|(y, m)| {
            let c = counters
                .iter()
                .find(|c| c.year == i64::from(y) && c.month == i64::from(m))
                .cloned()
                .unwrap_or_default();
            month_entry(y, m, &c)
        })
        .collect();
    Ok(ok(json!({
        "message": "Monthly statistics.",
        "count": stats.len(),
        "total_users": total_users,
        "app_id": app.id,
        "success": true,
        "stats": stats,
    })))
}

/// Exactly the seven keys authy-client checks, in the fixture's order.
fn month_entry(year: i32, month: u8, c: &CounterRow) -> serde_json::Value {
    json!({
        "sms_count": c.sms_count,
        "calls_count": c.calls_count,
        "users_count": c.users_count,
        "auths_count": c.auths_count,
        "month": MONTHS[usize::from(month - 1)],
        "api_calls_count": c.api_calls_count,
        "year": year,
    })
}

/// The twelve (year, month) pairs ending with the given one, oldest first.
fn last_twelve_months(year: i32, month: u8) -> Vec<(i32, u8)> {
    let index = year * 12 + i32::from(month) - 1;
    (index - 11..=index)
        .map(|i| (i.div_euclid(12), (i.rem_euclid(12) + 1) as u8))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twelve_months_wrap_the_year() {
        let months = last_twelve_months(2014, 7);
        assert_eq!(months.first(), Some(&(2013, 8)));
        assert_eq!(months.last(), Some(&(2014, 7)));
        assert_eq!(last_twelve_months(2026, 12).first(), Some(&(2026, 1)));
        let entry = month_entry(2013, 8, &CounterRow::default());
        assert_eq!(
            entry.to_string(),
            r#"{"sms_count":0,"calls_count":0,"users_count":0,"auths_count":0,"month":"August","api_calls_count":0,"year":2013}"#
        );
    }
}
