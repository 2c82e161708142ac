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

function scenario_a_failed_report_is_not_sent_again() {
	$GLOBALS['stub']['service'] = 'down';
	do_action( 'transition_comment_status', 'approved', 'unapproved', stub_comment( 100 ) );
	return null;
}

function scenario_statistics_view_leads_back() {
	$_GET = array( 'page' => 'akismet-key-config', 'view' => 'stats' );
	do_action( 'admin_init' );  // redirects and exits
	return 'not redirected';
}
