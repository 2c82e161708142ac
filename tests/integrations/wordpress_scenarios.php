<?php
/**
 * What happens in WordPress, step by step, for tests/integrations/test_wordpress_plugin.py; each returns what
 * the test needs besides the recorded requests, meta, options and cron events (see wordpress_stubs.php).
 */

/** A new comment's check, as the Akismet plugin makes it. */
function check_new_comment( $post = '4', $parent = '0' ) {
	return Akismet::http_post( Akismet::build_query( array( 'blog' => 'https://kommblog.example', 'user_ip' => '203.0.113.7',
		'comment_post_ID' => $post, 'comment_parent' => $parent, 'comment_content' => 'Du bist ein Idiot <3 -> ja',
		'comment_author' => 'Jana Weber', 'comment_author_email' => 'jana@example.org' ) ), 'comment-check' );
}

function scenario_route_check() {
	return check_new_comment();
}

function scenario_not_akismet() {
	return apply_filters( 'pre_http_request', false, array( 'body' => '' ), 'https://api.wordpress.org/core/version-check/1.7/' );
}

function scenario_down_fails_fast() {
	$GLOBALS['stub']['service'] = 'down';
	$first  = check_new_comment();                // tried once; the plugin's two retries fail at once
	$second = check_new_comment( '5' );           // another call: tried
	$third  = check_new_comment( '6' );           // after two failures in this page load: fails at once
	return array( $first, $second, $third );
}

function scenario_link_new_comment() {
	check_new_comment();
	do_action( 'wp_insert_comment', 51, stub_comment( 51, array( 'comment_approved' => 'spam' ) ) );
	do_action( 'wp_insert_comment', 52, stub_comment( 52, array( 'comment_approved' => '0' ) ) ); // no check of its own
	return null;
}

function scenario_link_trashed_comment() {
	check_new_comment();
	do_action( 'wp_insert_comment', 53, stub_comment( 53, array( 'comment_approved' => 'trash' ) ) );
	return null;
}

function scenario_no_link_after_a_failed_check() {
	check_new_comment();                             // comment A, checked; WordPress then refuses it (a duplicate)
	$GLOBALS['stub']['service'] = 'down';
	check_new_comment();                             // comment B's check fails
	$GLOBALS['stub']['service'] = 'up';
	do_action( 'wp_insert_comment', 54, stub_comment( 54 ) );  // B stored: not A's record
	return null;
}

function scenario_no_link_to_another_post_or_parent() {
	check_new_comment( '4', '0' );
	do_action( 'wp_insert_comment', 55, stub_comment( 55, array( 'comment_post_ID' => '5' ) ) );
	check_new_comment( '4', '0' );
	do_action( 'wp_insert_comment', 56, stub_comment( 56, array( 'comment_parent' => '7' ) ) );
	return null;
}

function scenario_later_calls_name_the_record() {
	add_comment_meta( 60, 'moderation_service_id', 'kommblog:bbbbbbbbbbbbbbbb' );
	Akismet::http_post( Akismet::build_query( array( 'blog' => 'https://kommblog.example', 'comment_ID' => 60,
		'comment_content' => 'x', 'reporter' => 'admin' ) ), 'submit-ham' );
	Akismet::http_post( Akismet::build_query( array( 'blog' => 'https://kommblog.example', 'comment_ID' => 61,
		'comment_content' => 'x' ) ), 'submit-spam' );  // not linked: sent as it is
	return null;
}

function scenario_statuses_reported() {
	$transitions = array( array( 'approved', 'unapproved' ), array( 'approved', 'spam' ), array( 'unapproved', 'approved' ),
		array( 'unapproved', 'spam' ), array( 'trash', 'approved' ), array( 'trash', 'spam' ), array( 'unapproved', 'trash' ),
		array( 'approved', 'approved' ), array( 'spam', 'approved' ), array( 'delete', 'spam' ) );
	foreach ( $transitions as $i => $transition ) {
		do_action( 'transition_comment_status', $transition[0], $transition[1], stub_comment( 70 + $i ) );
	}
	return $transitions;
}

/** Moves into and out of the spam folder that the Akismet plugin does not take for Spam / Not Spam. */
function scenario_spam_moves_the_akismet_plugin_leaves() {
	$GLOBALS['stub']['explicit'] = false;  // a moderation e-mail's "Approve it" link, XML-RPC (the mobile app), wp-cli
	add_comment_meta( 180, 'akismet_as_submitted', array( 'comment_content' => 'Wie getippt', 'user_ip' => '198.51.100.9' ) );
	do_action( 'transition_comment_status', 'approved', 'spam', stub_comment( 180, array( 'comment_approved' => '1' ) ) );
	do_action( 'transition_comment_status', 'spam', 'unapproved', stub_comment( 181, array( 'comment_approved' => 'spam' ) ) );
	do_action( 'transition_comment_status', 'unapproved', 'spam', stub_comment( 182, array( 'comment_approved' => '0' ) ) );
	do_action( 'transition_comment_status', 'spam', 'trash', stub_comment( 183, array( 'comment_approved' => 'spam' ) ) );  // restored
	add_comment_meta( 184, 'akismet_rechecking', '1' );
	do_action( 'transition_comment_status', 'spam', 'unapproved', stub_comment( 184, array( 'comment_approved' => 'spam' ) ) );
	$GLOBALS['stub']['service'] = 'down';
	do_action( 'transition_comment_status', 'approved', 'spam', stub_comment( 185, array( 'comment_approved' => '1' ) ) );
	$GLOBALS['stub']['service'] = 'up';
	$GLOBALS['stub']['explicit'] = true;   // the admin's Spam / Not Spam in the comments list: the Akismet plugin reports it
	do_action( 'transition_comment_status', 'unapproved', 'spam', stub_comment( 186, array( 'comment_approved' => '0' ) ) );
	do_action( 'transition_comment_status', 'spam', 'approved', stub_comment( 187, array( 'comment_approved' => 'spam' ) ) );
	return null;
}

function scenario_deletions_reported() {
	add_comment_meta( 80, 'akismet_as_submitted', array( 'comment_content' => 'Wie getippt', 'user_ip' => '198.51.100.9',
		'comment_author' => 'Jana Weber', 'not_allowed_here' => 'x', 'POST_ak_js' => '123' ) );
	do_action( 'delete_comment', 80, stub_comment( 80, array( 'comment_approved' => 'spam', 'comment_content' => 'Gespeichert' ) ) );
	$GLOBALS['stub']['doing_cron'] = true;  // the Akismet plugin's daily clean-up of old spam
	do_action( 'delete_comment', 81, stub_comment( 81, array( 'comment_approved' => 'spam' ) ) );
	return null;
}

function scenario_not_reported_without_the_right_to_moderate() {
	$GLOBALS['stub']['user'] = array( 'login' => 'subscriber', 'can' => false );
	do_action( 'transition_comment_status', 'approved', 'unapproved', stub_comment( 90 ) );
	$GLOBALS['stub']['user'] = array( 'login' => 'admin', 'can' => true );
	add_comment_meta( 91, 'akismet_rechecking', '1' );
	do_action( 'transition_comment_status', 'approved', 'unapproved', stub_comment( 91 ) );
	return null;
}

function scenario_no_link_where_the_service_did_not_take_it() {
	$GLOBALS['stub']['link'] = 'linked_elsewhere';  // the record is another comment's, that read alike
	check_new_comment();
	do_action( 'wp_insert_comment', 57, stub_comment( 57 ) );
	$GLOBALS['stub']['link'] = 'linked';
	check_new_comment();
	$GLOBALS['stub']['service'] = 'busy';  // the check answered, then the service's Redis went away: 503
	do_action( 'wp_insert_comment', 58, stub_comment( 58 ) );
	return null;
}

function scenario_reports_not_taken_are_kept_with_their_comment() {
	$GLOBALS['stub']['service'] = 'down';
	do_action( 'transition_comment_status', 'approved', 'unapproved', stub_comment( 100 ) );
	do_action( 'transition_comment_status', 'trash', 'approved', stub_comment( 100 ) );   // its last word
	return null;
}

function scenario_a_report_answered_503_is_kept() {
	$GLOBALS['stub']['service'] = 'busy';  // Redis away
	do_action( 'transition_comment_status', 'approved', 'unapproved', stub_comment( 101 ) );
	return null;
}

function scenario_a_report_refused_is_not_kept() {
	$GLOBALS['stub']['service'] = 'invalid';  // refused as it stands: sending it again would not help
	do_action( 'transition_comment_status', 'approved', 'unapproved', stub_comment( 102 ) );
	return null;
}

function scenario_the_akismet_plugins_reports_not_taken_are_kept() {
	$GLOBALS['stub']['service'] = 'busy';
	stub_comment( 113, array( 'comment_approved' => '0' ) );
	Akismet::http_post( Akismet::build_query( array( 'blog' => 'https://kommblog.example', 'comment_ID' => 113,
		'comment_content' => 'x', 'reporter' => 'admin' ) ), 'submit-ham' );
	$GLOBALS['stub']['service'] = 'down';
	foreach ( array( 110, 111, 112 ) as $id ) {  // a bulk Mark as Spam: the third fails at once, and is kept too
		stub_comment( $id, array( 'comment_approved' => 'spam' ) );
		Akismet::http_post( Akismet::build_query( array( 'blog' => 'https://kommblog.example', 'comment_ID' => $id,
			'comment_content' => 'x', 'reporter' => 'admin' ) ), 'submit-spam' );
	}
	return null;
}

/** A later page load: what was kept, and the cron run once the service answers again. */
function scenario_kept_reports_are_sent_by_cron() {
	stub_comment( 120, array( 'comment_approved' => '1', 'comment_content' => 'Gespeichert' ) );
	add_comment_meta( 120, 'akismet_as_submitted', array( 'comment_content' => 'Wie getippt', 'user_ip' => '198.51.100.9' ) );
	add_comment_meta( 120, 'moderation_service_id', 'kommblog:cccccccccccccccc' );
	update_comment_meta( 120, 'moderation_service_unsent', array( 'call' => 'submit-status', 'status' => 'approved', 'reporter' => 'admin', 'attempts' => 0 ) );
	stub_comment( 121, array( 'comment_approved' => 'spam' ) );
	update_comment_meta( 121, 'moderation_service_unsent', array( 'call' => 'submit-spam', 'status' => '', 'reporter' => 'admin', 'attempts' => 19 ) );
	add_option( 'moderation_service_unsent_deletion_122', array( 'moderation_service_id' => 'kommblog:dddddddddddddddd', 'attempts' => 0 ) );
	$GLOBALS['stub']['service'] = 'busy';  // answered, not taken (503): counted; the 20th such answer drops it
	stub_run_cron( 'moderation_service_resend' );
	$after_busy = array( $GLOBALS['stub']['meta'][120]['moderation_service_unsent']['attempts'],
		isset( $GLOBALS['stub']['meta'][121]['moderation_service_unsent'] ), wp_next_scheduled( 'moderation_service_resend' ) > 0,
		get_option( 'moderation_service_unsent_deletion_122' )['attempts'] );
	$GLOBALS['stub']['service'] = 'up';
	$GLOBALS['stub']['requests'] = array();
	stub_run_cron( 'moderation_service_resend' );
	return $after_busy;
}

function scenario_a_service_still_down_counts_nothing() {
	foreach ( array( 150, 151 ) as $id ) {
		stub_comment( $id, array( 'comment_approved' => '1' ) );
		update_comment_meta( $id, 'moderation_service_unsent', array( 'call' => 'submit-status', 'status' => 'approved', 'reporter' => 'admin', 'attempts' => 19 ) );
	}
	add_option( 'moderation_service_unsent_deletion_152', array( 'moderation_service_id' => 'kommblog:dddddddddddddddd', 'attempts' => 0 ) );
	$GLOBALS['stub']['service'] = 'down';
	stub_run_cron( 'moderation_service_resend' );  // the first call gets no answer: the run stops
	return null;
}

function scenario_a_kept_report_the_comment_no_longer_stands_by_is_dropped() {
	stub_comment( 140, array( 'comment_approved' => '1' ) );  // approved since, in a way nobody reported
	update_comment_meta( 140, 'moderation_service_unsent', array( 'call' => 'submit-spam', 'status' => '', 'reporter' => 'admin', 'attempts' => 0 ) );
	stub_comment( 141, array( 'comment_approved' => 'trash' ) );
	update_comment_meta( 141, 'moderation_service_unsent', array( 'call' => 'submit-status', 'status' => 'approved', 'reporter' => 'admin', 'attempts' => 0 ) );
	stub_run_cron( 'moderation_service_resend' );
	return null;
}

function scenario_a_kept_report_replaced_during_the_resend_stays_replaced() {
	stub_comment( 160, array( 'comment_approved' => '1' ) );
	update_comment_meta( 160, 'moderation_service_unsent', array( 'call' => 'submit-status', 'status' => 'approved', 'reporter' => 'admin', 'attempts' => 0 ) );
	// another page load, while the cron's call is on its way: a newer report for the comment, kept
	stub_comment( 161, array( 'comment_approved' => '1' ) );
	update_comment_meta( 161, 'moderation_service_unsent', array( 'call' => 'submit-status', 'status' => 'approved', 'reporter' => 'admin', 'attempts' => 0 ) );
	add_filter( 'pre_http_request', function ( $response, $args ) {
		parse_str( $args['body'], $fields );
		if ( '160' === $fields['comment_ID'] ) {  // a newer report, kept
			update_comment_meta( 160, 'moderation_service_unsent', array( 'call' => 'submit-status', 'status' => 'trash', 'reporter' => 'admin', 'attempts' => 0 ) );
		} else {  // a newer report, taken: nothing kept
			delete_comment_meta( 161, 'moderation_service_unsent' );
		}
		return $response;
	} );
	$GLOBALS['stub']['service'] = 'busy';
	stub_run_cron( 'moderation_service_resend' );
	return null;
}

function scenario_any_status_change_replaces_a_kept_report() {
	stub_comment( 170, array( 'comment_approved' => '1' ) );
	update_comment_meta( 170, 'moderation_service_unsent', array( 'call' => 'submit-spam', 'status' => '', 'reporter' => 'admin', 'attempts' => 0 ) );
	do_action( 'transition_comment_status', 'approved', 'spam', stub_comment( 170, array( 'comment_approved' => '1' ) ) );  // not ours to report
	return null;
}

function scenario_a_deletion_not_taken_is_kept_by_its_record() {
	$GLOBALS['stub']['service'] = 'down';
	add_comment_meta( 130, 'moderation_service_id', 'kommblog:eeeeeeeeeeeeeeee' );
	do_action( 'delete_comment', 130, stub_comment( 130, array( 'comment_approved' => 'spam' ) ) );
	do_action( 'delete_comment', 131, stub_comment( 131, array( 'comment_approved' => 'spam' ) ) );  // never linked
	return null;
}

function scenario_statistics_view_leads_back() {
	$_GET = array( 'page' => 'akismet-key-config', 'view' => 'stats' );
	do_action( 'admin_init' );  // redirects and exits
	return 'not redirected';
}

function scenario_erasers_in_order() {
	return array_keys( apply_filters( 'wp_privacy_personal_data_erasers', array() ) );
}

/** Tools → Erase Personal Data for jana@example.org: 52 comments of hers (one linked), one of someone else's. */
function scenario_erasure_of_a_persons_comments() {
	stub_comment( 200, array( 'comment_approved' => '1' ) );
	add_comment_meta( 200, 'moderation_service_id', 'kommblog:ffffffffffffffff' );
	stub_comment( 201, array( 'comment_approved' => 'spam', 'comment_author_email' => 'Jana@Example.org' ) );
	add_comment_meta( 201, 'akismet_as_submitted', array( 'comment_content' => 'Wie getippt', 'user_ip' => '198.51.100.9' ) );
	stub_comment( 202, array( 'comment_author_email' => 'kai@example.org' ) );
	stub_comment( 203, array( 'comment_approved' => 'trash', 'comment_content' => '' ) );  // no text: never checked
	for ( $id = 204; $id < 254; $id++ ) {
		stub_comment( $id, array( 'comment_approved' => '0' ) );
	}
	return stub_erase_personal_data( 'jana@example.org' );
}

/** The service down while the admin erases: nothing is claimed, and what was not erased is kept. */
function scenario_erasure_while_the_service_is_down() {
	stub_comment( 210, array( 'comment_approved' => '1' ) );
	add_comment_meta( 210, 'moderation_service_id', 'kommblog:ffffffffffffffff' );
	stub_comment( 211, array( 'comment_approved' => 'spam' ) );
	$GLOBALS['stub']['service'] = 'down';
	$erased = stub_erase_personal_data( 'jana@example.org' );  // WordPress's own eraser runs after it
	return array( $erased['moderation-service'], get_comment( 210 )->comment_author_email );
}

/** A later page load, the service up: the admin runs the erasure again. */
function scenario_erasure_run_again() {
	stub_comment( 210, array( 'comment_approved' => '1', 'comment_author' => 'Anonymous', 'comment_author_email' => '' ) );
	add_comment_meta( 210, 'moderation_service_id', 'kommblog:ffffffffffffffff' );
	update_comment_meta( 210, 'moderation_service_unsent_erasure', wp_hash( 'jana@example.org' ) );
	stub_comment( 211, array( 'comment_approved' => 'spam' ) );  // WordPress's own eraser leaves the spam folder alone
	update_comment_meta( 211, 'moderation_service_unsent_erasure', wp_hash( 'jana@example.org' ) );
	stub_comment( 214, array( 'comment_approved' => '1', 'comment_author_email' => '' ) );  // someone else's, kept
	update_comment_meta( 214, 'moderation_service_unsent_erasure', wp_hash( 'kai@example.org' ) );
	return stub_erase_personal_data( 'jana@example.org' )['moderation-service'];
}

function scenario_erasure_refused_by_the_service() {
	stub_comment( 212, array( 'comment_approved' => 'spam' ) );
	$GLOBALS['stub']['service'] = 'invalid';
	return moderation_service_erase_personal_data( 'jana@example.org', 1 );
}

function scenario_erasure_of_comments_the_service_does_not_know() {
	stub_comment( 213, array( 'comment_approved' => '1' ) );
	$GLOBALS['stub']['erased'] = 'unknown';
	return moderation_service_erase_personal_data( 'jana@example.org', 1 );
}

/** An erasure kept while the service was down, sent by WordPress's cron: once busy (503), then taken. */
function scenario_kept_erasures_are_sent_by_cron() {
	stub_comment( 220, array( 'comment_approved' => '1', 'comment_author_email' => '' ) );  // WordPress's own eraser ran
	add_comment_meta( 220, 'moderation_service_id', 'kommblog:ffffffffffffffff' );
	update_comment_meta( 220, 'moderation_service_unsent_erasure', wp_hash( 'jana@example.org' ) );
	$GLOBALS['stub']['service'] = 'busy';
	stub_run_cron( 'moderation_service_resend' );
	$after_busy = array( get_comment_meta( 220, 'moderation_service_unsent_erasure', true ) !== '', wp_next_scheduled( 'moderation_service_resend' ) > 0 );
	$GLOBALS['stub']['service'] = 'up';
	stub_run_cron( 'moderation_service_resend' );
	return $after_busy;
}
