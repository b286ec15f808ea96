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
        fields -> Text,
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
        code_hash -> Nullable<Text>,
    }
}

diesel::joinable!(users -> accounts (account_id));
diesel::joinable!(oauth_tokens -> accounts (account_id));
diesel::joinable!(oauth_tokens -> oauth_apps (app_id));
diesel::joinable!(oauth_codes -> oauth_apps (app_id));

diesel::table! {
    stream_events (id) {
        id -> BigInt,
        payload -> Text,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    accounts,
    users,
    oauth_apps,
    oauth_codes,
    oauth_tokens
);

diesel::table! {
    statuses (id) {
        id -> BigInt,
        ap_id -> Text,
        url -> Nullable<Text>,
        account_id -> BigInt,
        local -> Bool,
        visibility -> Text,
        in_reply_to_id -> Nullable<BigInt>,
        in_reply_to_ap_id -> Nullable<Text>,
        in_reply_to_account_id -> Nullable<BigInt>,
        reblog_of_id -> Nullable<BigInt>,
        content -> Text,
        source_text -> Nullable<Text>,
        spoiler_text -> Text,
        sensitive -> Bool,
        language -> Nullable<Text>,
        conversation -> Nullable<Text>,
        attachments -> Text,
        created_at -> Timestamp,
        edited_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    media_attachments (id) {
        id -> BigInt,
        account_id -> BigInt,
        status_id -> Nullable<BigInt>,
        kind -> Text,
        content_type -> Text,
        file_key -> Text,
        file_size -> BigInt,
        thumbnail_key -> Nullable<Text>,
        width -> Nullable<Integer>,
        height -> Nullable<Integer>,
        thumbnail_width -> Nullable<Integer>,
        thumbnail_height -> Nullable<Integer>,
        blurhash -> Nullable<Text>,
        description -> Nullable<Text>,
        focus_x -> Nullable<Double>,
        focus_y -> Nullable<Double>,
        position -> Integer,
        created_at -> Timestamp,
    }
}

diesel::table! {
    status_mentions (status_id, account_id) {
        status_id -> BigInt,
        account_id -> BigInt,
    }
}

diesel::table! {
    status_tags (status_id, name) {
        status_id -> BigInt,
        name -> Text,
    }
}

diesel::table! {
    follows (id) {
        id -> BigInt,
        account_id -> BigInt,
        target_account_id -> BigInt,
        ap_id -> Text,
        accepted -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    favourites (id) {
        id -> BigInt,
        account_id -> BigInt,
        status_id -> BigInt,
        ap_id -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    blocks (id) {
        id -> BigInt,
        account_id -> BigInt,
        target_account_id -> BigInt,
        ap_id -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    notifications (id) {
        id -> BigInt,
        account_id -> BigInt,
        from_account_id -> BigInt,
        kind -> Text,
        status_id -> Nullable<BigInt>,
        created_at -> Timestamp,
        subject_id -> Nullable<BigInt>,
        filtered -> Bool,
    }
}

diesel::table! {
    home_feed (account_id, status_id) {
        account_id -> BigInt,
        status_id -> BigInt,
    }
}

diesel::table! {
    received_activities (ap_id) {
        ap_id -> Text,
        received_at -> Timestamp,
    }
}

diesel::table! {
    outbox_activities (id) {
        id -> BigInt,
        ap_id -> Text,
        actor_account_id -> BigInt,
        body -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    deliveries (id) {
        id -> BigInt,
        activity_id -> BigInt,
        inbox_url -> Text,
        host -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        locked_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
    }
}

diesel::table! {
    instances (host) {
        host -> Text,
        failing_since -> Nullable<Timestamp>,
        unreachable -> Bool,
        last_success_at -> Nullable<Timestamp>,
        next_try_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    rate_limits (bucket) {
        bucket -> Text,
        window_start -> BigInt,
        hits -> BigInt,
    }
}

diesel::table! {
    login_failures (id) {
        id -> BigInt,
        username -> Text,
        ip -> Text,
        failed_at -> Timestamp,
    }
}

diesel::table! {
    account_stats (account_id) {
        account_id -> BigInt,
        statuses_count -> BigInt,
        followers_count -> BigInt,
        following_count -> BigInt,
        last_status_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    bookmarks (id) {
        id -> BigInt,
        account_id -> BigInt,
        status_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    status_pins (id) {
        id -> BigInt,
        account_id -> BigInt,
        status_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    status_edits (id) {
        id -> BigInt,
        status_id -> BigInt,
        content -> Text,
        source_text -> Nullable<Text>,
        spoiler_text -> Text,
        sensitive -> Bool,
        attachments -> Text,
        created_at -> Timestamp,
        poll_options -> Nullable<Text>,
    }
}

diesel::table! {
    mutes (id) {
        id -> BigInt,
        account_id -> BigInt,
        target_account_id -> BigInt,
        hide_notifications -> Bool,
        expires_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    account_domain_blocks (id) {
        id -> BigInt,
        account_id -> BigInt,
        domain -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    markers (account_id, timeline) {
        account_id -> BigInt,
        timeline -> Text,
        last_read_id -> BigInt,
        version -> BigInt,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    instance_settings (name) {
        name -> Text,
        value -> Text,
    }
}

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        account_id -> BigInt,
        action -> Text,
        target_type -> Text,
        target_id -> Text,
        reason -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    reports (id) {
        id -> BigInt,
        account_id -> BigInt,
        target_account_id -> BigInt,
        status_ids -> Text,
        category -> Text,
        comment -> Text,
        rule_ids -> Text,
        forward -> Bool,
        origin_domain -> Nullable<Text>,
        ap_id -> Nullable<Text>,
        assigned_account_id -> Nullable<BigInt>,
        action_taken_at -> Nullable<Timestamp>,
        action_taken_by_account_id -> Nullable<BigInt>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    report_notes (id) {
        id -> BigInt,
        report_id -> BigInt,
        account_id -> BigInt,
        content -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    account_moderation (account_id) {
        account_id -> BigInt,
        silenced_at -> Nullable<Timestamp>,
        suspended_at -> Nullable<Timestamp>,
        sensitized_at -> Nullable<Timestamp>,
        disabled_at -> Nullable<Timestamp>,
        deleted_at -> Nullable<Timestamp>,
        approved -> Bool,
        sign_up_reason -> Nullable<Text>,
    }
}

diesel::table! {
    account_warnings (id) {
        id -> BigInt,
        account_id -> BigInt,
        target_account_id -> BigInt,
        action -> Text,
        text -> Text,
        report_id -> Nullable<BigInt>,
        status_ids -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    invites (id) {
        id -> BigInt,
        code -> Text,
        account_id -> BigInt,
        max_uses -> Nullable<Integer>,
        uses -> Integer,
        expires_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::joinable!(account_moderation -> accounts (account_id));
diesel::allow_tables_to_appear_in_same_query!(account_moderation, accounts);
diesel::allow_tables_to_appear_in_same_query!(account_moderation, users);
diesel::allow_tables_to_appear_in_same_query!(account_moderation, statuses);
diesel::allow_tables_to_appear_in_same_query!(account_moderation, follows);

diesel::table! {
    domain_policies (id) {
        id -> BigInt,
        domain -> Text,
        severity -> Text,
        reject_media -> Bool,
        reject_reports -> Bool,
        private_comment -> Nullable<Text>,
        public_comment -> Nullable<Text>,
        obfuscate -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        managed -> Bool,
    }
}

diesel::table! {
    blocklist_subscriptions (id) {
        id -> BigInt,
        url -> Text,
        mode -> Text,
        created_by -> BigInt,
        created_at -> Timestamp,
        next_fetch_at -> Timestamp,
        last_fetched_at -> Nullable<Timestamp>,
        last_success_at -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        last_note -> Nullable<Text>,
    }
}

diesel::table! {
    shared_decisions (id) {
        id -> BigInt,
        source_kind -> Text,
        source_id -> BigInt,
        source_ref -> Nullable<Text>,
        target_kind -> Text,
        target -> Text,
        severity -> Text,
        reject_media -> Bool,
        reject_reports -> Bool,
        comment -> Nullable<Text>,
        state -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    cohort_members (id) {
        id -> BigInt,
        actor_id -> Text,
        domain -> Text,
        state -> Text,
        policy -> Text,
        invite_id -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    cohort_published (id) {
        id -> BigInt,
        target_kind -> Text,
        target -> Text,
        activity -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    cohort_reports (report_id) {
        report_id -> BigInt,
        member_id -> BigInt,
    }
}

diesel::table! {
    received_flags (id) {
        id -> BigInt,
        ap_id -> Text,
        origin_domain -> Text,
        actor_ap_id -> Text,
        account_id -> Nullable<BigInt>,
        status_ids -> Text,
        object_uris -> Text,
        comment -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    domain_allows (id) {
        id -> BigInt,
        domain -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    polls (id) {
        id -> BigInt,
        status_id -> BigInt,
        options -> Text,
        counts -> Text,
        voters_count -> Nullable<BigInt>,
        multiple -> Bool,
        hide_totals -> Bool,
        expires_at -> Nullable<Timestamp>,
        closed -> Bool,
        federate_at -> Nullable<Timestamp>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    poll_votes (id) {
        id -> BigInt,
        poll_id -> BigInt,
        account_id -> BigInt,
        choice -> Integer,
        ap_id -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    scheduled_statuses (id) {
        id -> BigInt,
        account_id -> BigInt,
        scheduled_at -> Timestamp,
        params -> Text,
        claimed_until -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    scheduled_status_media (scheduled_status_id, media_id) {
        scheduled_status_id -> BigInt,
        media_id -> BigInt,
    }
}

diesel::table! {
    media_processing (media_id) {
        media_id -> BigInt,
        original_key -> Text,
        claimed_until -> Timestamp,
    }
}

diesel::table! {
    idempotency_keys (account_id, key) {
        account_id -> BigInt,
        key -> Text,
        status_id -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    lists (id) {
        id -> BigInt,
        account_id -> BigInt,
        title -> Text,
        replies_policy -> Text,
        exclusive -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    list_accounts (id) {
        id -> BigInt,
        list_id -> BigInt,
        account_id -> BigInt,
        follow_id -> BigInt,
    }
}

diesel::table! {
    filters (id) {
        id -> BigInt,
        account_id -> BigInt,
        title -> Text,
        context -> Text,
        filter_action -> Text,
        expires_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    filter_keywords (id) {
        id -> BigInt,
        filter_id -> BigInt,
        keyword -> Text,
        whole_word -> Bool,
    }
}

diesel::table! {
    filter_statuses (id) {
        id -> BigInt,
        filter_id -> BigInt,
        status_id -> BigInt,
    }
}

diesel::joinable!(list_accounts -> lists (list_id));
diesel::joinable!(list_accounts -> accounts (account_id));
diesel::joinable!(filter_keywords -> filters (filter_id));
diesel::joinable!(filter_statuses -> filters (filter_id));
diesel::allow_tables_to_appear_in_same_query!(
    lists,
    list_accounts,
    filters,
    filter_keywords,
    filter_statuses,
);
diesel::allow_tables_to_appear_in_same_query!(lists, accounts);
diesel::allow_tables_to_appear_in_same_query!(lists, statuses);
diesel::allow_tables_to_appear_in_same_query!(lists, follows);
diesel::allow_tables_to_appear_in_same_query!(lists, mutes);
diesel::allow_tables_to_appear_in_same_query!(lists, account_domain_blocks);
diesel::allow_tables_to_appear_in_same_query!(lists, blocks);
diesel::allow_tables_to_appear_in_same_query!(lists, status_mentions);
diesel::allow_tables_to_appear_in_same_query!(lists, account_moderation);
diesel::allow_tables_to_appear_in_same_query!(lists, home_feed);
diesel::allow_tables_to_appear_in_same_query!(list_accounts, accounts);
diesel::allow_tables_to_appear_in_same_query!(list_accounts, statuses);
diesel::allow_tables_to_appear_in_same_query!(list_accounts, follows);
diesel::allow_tables_to_appear_in_same_query!(list_accounts, mutes);
diesel::allow_tables_to_appear_in_same_query!(list_accounts, account_domain_blocks);
diesel::allow_tables_to_appear_in_same_query!(list_accounts, blocks);
diesel::allow_tables_to_appear_in_same_query!(list_accounts, status_mentions);
diesel::allow_tables_to_appear_in_same_query!(list_accounts, account_moderation);
diesel::allow_tables_to_appear_in_same_query!(list_accounts, home_feed);
diesel::allow_tables_to_appear_in_same_query!(filters, accounts);
diesel::allow_tables_to_appear_in_same_query!(filters, statuses);
diesel::allow_tables_to_appear_in_same_query!(filters, follows);
diesel::allow_tables_to_appear_in_same_query!(filters, mutes);
diesel::allow_tables_to_appear_in_same_query!(filters, account_domain_blocks);
diesel::allow_tables_to_appear_in_same_query!(filters, blocks);
diesel::allow_tables_to_appear_in_same_query!(filters, status_mentions);
diesel::allow_tables_to_appear_in_same_query!(filters, account_moderation);
diesel::allow_tables_to_appear_in_same_query!(filters, home_feed);
diesel::allow_tables_to_appear_in_same_query!(filter_keywords, accounts);
diesel::allow_tables_to_appear_in_same_query!(filter_keywords, statuses);
diesel::allow_tables_to_appear_in_same_query!(filter_keywords, follows);
diesel::allow_tables_to_appear_in_same_query!(filter_keywords, mutes);
diesel::allow_tables_to_appear_in_same_query!(filter_keywords, account_domain_blocks);
diesel::allow_tables_to_appear_in_same_query!(filter_keywords, blocks);
diesel::allow_tables_to_appear_in_same_query!(filter_keywords, status_mentions);
diesel::allow_tables_to_appear_in_same_query!(filter_keywords, account_moderation);
diesel::allow_tables_to_appear_in_same_query!(filter_keywords, home_feed);
diesel::allow_tables_to_appear_in_same_query!(filter_statuses, accounts);
diesel::allow_tables_to_appear_in_same_query!(filter_statuses, statuses);
diesel::allow_tables_to_appear_in_same_query!(filter_statuses, follows);
diesel::allow_tables_to_appear_in_same_query!(filter_statuses, mutes);
diesel::allow_tables_to_appear_in_same_query!(filter_statuses, account_domain_blocks);
diesel::allow_tables_to_appear_in_same_query!(filter_statuses, blocks);
diesel::allow_tables_to_appear_in_same_query!(filter_statuses, status_mentions);
diesel::allow_tables_to_appear_in_same_query!(filter_statuses, account_moderation);
diesel::allow_tables_to_appear_in_same_query!(filter_statuses, home_feed);

diesel::table! {
    announcements (id) {
        id -> BigInt,
        text -> Text,
        content -> Text,
        starts_at -> Nullable<Timestamp>,
        ends_at -> Nullable<Timestamp>,
        all_day -> Bool,
        published_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    announcement_reads (announcement_id, account_id) {
        announcement_id -> BigInt,
        account_id -> BigInt,
    }
}

diesel::table! {
    announcement_reactions (announcement_id, account_id, name) {
        announcement_id -> BigInt,
        account_id -> BigInt,
        name -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    custom_emojis (id) {
        id -> BigInt,
        shortcode -> Text,
        storage_key -> Text,
        content_type -> Text,
        category -> Nullable<Text>,
        visible_in_picker -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    followed_tags (id) {
        id -> BigInt,
        account_id -> BigInt,
        name -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    account_conversations (id) {
        id -> BigInt,
        account_id -> BigInt,
        conversation -> Text,
        last_status_id -> BigInt,
        unread -> Bool,
    }
}

diesel::table! {
    conversation_mutes (account_id, conversation) {
        account_id -> BigInt,
        conversation -> Text,
    }
}

diesel::joinable!(statuses -> accounts (account_id));
diesel::joinable!(account_stats -> accounts (account_id));
diesel::joinable!(status_mentions -> statuses (status_id));
diesel::joinable!(home_feed -> statuses (status_id));
diesel::joinable!(deliveries -> outbox_activities (activity_id));
diesel::joinable!(notifications -> statuses (status_id));
diesel::joinable!(favourites -> statuses (status_id));
diesel::joinable!(bookmarks -> statuses (status_id));
diesel::joinable!(status_pins -> statuses (status_id));
diesel::joinable!(status_edits -> statuses (status_id));
diesel::joinable!(polls -> statuses (status_id));
diesel::joinable!(poll_votes -> polls (poll_id));

diesel::allow_tables_to_appear_in_same_query!(
    accounts,
    account_stats,
    statuses,
    status_mentions,
    status_tags,
    follows,
    favourites,
    blocks,
    notifications,
    home_feed,
    deliveries,
    outbox_activities,
    instances,
    received_activities,
    bookmarks,
    status_pins,
    status_edits,
    markers,
    mutes,
    account_domain_blocks,
    polls,
    poll_votes,
    scheduled_statuses,
    scheduled_status_media,
    media_attachments,
    followed_tags,
    account_conversations,
    conversation_mutes,
    media_processing,
);

diesel::table! {
    console_sessions (secret_hash) {
        secret_hash -> Text,
        account_id -> BigInt,
        csrf_token -> Text,
        flash -> Nullable<Text>,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    notification_policies (account_id) {
        account_id -> BigInt,
        for_not_following -> Nullable<Text>,
        for_not_followers -> Nullable<Text>,
        for_new_accounts -> Nullable<Text>,
        for_private_mentions -> Nullable<Text>,
        for_limited_accounts -> Nullable<Text>,
        new_account_days -> Nullable<Integer>,
        new_domain_days -> Nullable<Integer>,
        signal_many_digits -> Nullable<Bool>,
        signal_few_followers -> Nullable<Bool>,
        signal_no_avatar_bio -> Nullable<Bool>,
        dogpile_threshold -> Nullable<Integer>,
        dogpile_minutes -> Nullable<Integer>,
        message_requests -> Nullable<Bool>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    notification_requests (id) {
        id -> BigInt,
        account_id -> BigInt,
        from_account_id -> BigInt,
        last_status_id -> Nullable<BigInt>,
        notifications_count -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    notification_permissions (account_id, from_account_id) {
        account_id -> BigInt,
        from_account_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    dogpile_hits (account_id, from_account_id) {
        account_id -> BigInt,
        from_account_id -> BigInt,
        at -> Timestamp,
    }
}

diesel::table! {
    domain_first_seen (domain) {
        domain -> Text,
        first_seen_at -> Timestamp,
    }
}

diesel::table! {
    remote_emojis (id) {
        id -> BigInt,
        domain -> Text,
        shortcode -> Text,
        ap_id -> Nullable<Text>,
        image_url -> Text,
        media_type -> Nullable<Text>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    status_emojis (status_id, emoji_id) {
        status_id -> BigInt,
        emoji_id -> BigInt,
    }
}

diesel::table! {
    account_emojis (account_id, emoji_id) {
        account_id -> BigInt,
        emoji_id -> BigInt,
    }
}

diesel::table! {
    account_notes (account_id, target_account_id) {
        account_id -> BigInt,
        target_account_id -> BigInt,
        comment -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    endorsements (id) {
        id -> BigInt,
        account_id -> BigInt,
        target_account_id -> BigInt,
        follow_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    featured_tags (id) {
        id -> BigInt,
        account_id -> BigInt,
        name -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    account_preferences (account_id) {
        account_id -> BigInt,
        posting_visibility -> Text,
        posting_sensitive -> Bool,
        posting_language -> Nullable<Text>,
        expand_media -> Text,
        expand_spoilers -> Bool,
    }
}

diesel::allow_tables_to_appear_in_same_query!(endorsements, accounts);
diesel::allow_tables_to_appear_in_same_query!(featured_tags, statuses);
