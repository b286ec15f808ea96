//! The database schema, kept by hand so that one definition serves SQLite and PostgreSQL.
//! It must match `migrations/sqlite` and `migrations/postgres`; the migration tests check both.

diesel::table! {
    accounts (id) {
        id -> BigInt,
        username -> Text,
        domain -> Nullable<Text>,
        ap_id -> Text,
        actor_type -> Text,
        display_name -> Text,
        note -> Text,
        avatar_url -> Nullable<Text>,
        header_url -> Nullable<Text>,
        url -> Nullable<Text>,
        locked -> Bool,
        bot -> Bool,
        inbox_url -> Text,
        shared_inbox_url -> Nullable<Text>,
        outbox_url -> Nullable<Text>,
        followers_url -> Nullable<Text>,
        following_url -> Nullable<Text>,
        public_key_id -> Text,
        public_key_pem -> Text,
        private_key_pem -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        fetched_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    users (account_id) {
        account_id -> BigInt,
        email -> Nullable<Text>,
        password_hash -> Text,
        role -> Text,
        created_at -> Timestamp,
        last_active_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    oauth_apps (id) {
        id -> BigInt,
        client_id -> Text,
        client_secret -> Text,
        name -> Text,
        website -> Nullable<Text>,
        redirect_uris -> Text,
        scopes -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    oauth_codes (code_hash) {
        code_hash -> Text,
        app_id -> BigInt,
        account_id -> BigInt,
        redirect_uri -> Text,
        scopes -> Text,
        code_challenge -> Nullable<Text>,
        code_challenge_method -> Nullable<Text>,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    oauth_tokens (id) {
        id -> BigInt,
        token_hash -> Text,
        app_id -> Nullable<BigInt>,
        account_id -> Nullable<BigInt>,
        scopes -> Text,
        created_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(users -> accounts (account_id));
diesel::joinable!(oauth_tokens -> accounts (account_id));
diesel::joinable!(oauth_tokens -> oauth_apps (app_id));
diesel::joinable!(oauth_codes -> oauth_apps (app_id));

diesel::allow_tables_to_appear_in_same_query!(
    accounts,
    users,
    oauth_apps,
    oauth_codes,
    oauth_tokens
);
