<?php
/**
 * Just enough of WordPress and of the Akismet plugin 5.0 to run the must-use plugin's code, with everything
 * it does recorded: the HTTP requests it makes (answered by a pretend service whose mood the scenario sets),
 * comment meta, options, cron events. Behaviour copied from WordPress 6.1 and Akismet 5.0.2 where the plugin
 * depends on it (Akismet::http_post's retries and its array( '', '' ) on failure; wp_get_comment_status).
 *
 * Usage: php wordpress_stubs.php PLUGIN.php SCENARIO  — runs scenario_SCENARIO() from wordpress_scenarios.php
 * and prints what was recorded as JSON.
 */

define( 'ABSPATH', __DIR__ . '/' );

$GLOBALS['stub'] = array(
	'hooks'     => array(),
	'requests'  => array(),
	'meta'      => array(),
	'options'   => array( 'home' => 'https://kommblog.example', 'blog_charset' => 'UTF-8' ),
	'cron'      => array(),
	'comments'  => array(),
	'service'   => 'up',   // up | down | invalid | busy (503)
	'link'      => 'linked', // what comment-stored answers: linked | linked_elsewhere | unknown
	'user'      => array( 'login' => 'admin', 'can' => true ),
	'doing_cron' => false,
	'guid'      => 'kommblog:aaaaaaaaaaaaaaaa',
	'explicit'  => true,   // the Akismet plugin takes a status change for the admin's Spam / Not Spam (see below)
	'erased'    => 'erased', // what erase-personal-data answers: erased | unknown
);

class WP_Error {
	public $code;
	public function __construct( $code = '', $message = '' ) {
		$this->code = $code;
	}
}

class WP_Comment {
	public $comment_ID;
	public $comment_post_ID = '4';
	public $comment_author = 'Jana Weber';
	public $comment_author_email = 'jana@example.org';
	public $comment_author_url = '';
	public $comment_author_IP = '203.0.113.7';
	public $comment_date_gmt = '2026-11-28 09:15:00';
	public $comment_content = 'Ein Kommentar.';
	public $comment_approved = '0';
	public $comment_agent = 'Mozilla/5.0';
	public $comment_type = 'comment';
	public $comment_parent = '0';
	public $user_id = '0';
	public function __construct( $fields ) {
		foreach ( $fields as $name => $value ) {
			$this->$name = $value;
		}
	}
}

class WP_User {
	public $user_login;
	public function __construct( $login ) {
		$this->user_login = $login;
	}
}

function is_wp_error( $thing ) {
	return $thing instanceof WP_Error;
}

/** As WordPress: callbacks run by priority, those of one priority in the order they were added. */
function add_filter( $hook, $callback, $priority = 10, $args = 1 ) {
	$GLOBALS['stub']['hooks'][ $hook ][ $priority ][] = $callback;
	ksort( $GLOBALS['stub']['hooks'][ $hook ] );
}

function add_action( $hook, $callback, $priority = 10, $args = 1 ) {
	add_filter( $hook, $callback, $priority, $args );
}

function apply_filters( $hook, $value, ...$args ) {
	foreach ( $GLOBALS['stub']['hooks'][ $hook ] ?? array() as $callbacks ) {
		foreach ( $callbacks as $callback ) {
			$value = $callback( $value, ...$args );
		}
	}
	return $value;
}

function do_action( $hook, ...$args ) {
	foreach ( $GLOBALS['stub']['hooks'][ $hook ] ?? array() as $callbacks ) {
		foreach ( $callbacks as $callback ) {
			$callback( ...$args );
		}
	}
}

function wp_parse_url( $url, $component = -1 ) {
	return parse_url( $url, $component );
}

/** The pretend service: answers as the moderation service would, in the scenario's mood. */
function wp_remote_request( $url, $args ) {
	$GLOBALS['stub']['requests'][] = array( 'url' => $url, 'body' => $args['body'] ?? '', 'timeout' => $args['timeout'] ?? null,
		'headers' => array_keys( (array) ( $args['headers'] ?? array() ) ) );
	$mood = $GLOBALS['stub']['service'];
	if ( 'down' === $mood ) {
		return new WP_Error( 'http_request_failed', 'cURL error 7: Failed to connect' );
	}
	if ( 'busy' === $mood ) {
		return array( 'headers' => array(), 'body' => '{"error": {"code": "storage_unavailable"}}', 'response' => array( 'code' => 503 ) );
	}
	if ( 'invalid' === $mood ) {
		return array( 'headers' => array( 'x-akismet-debug-help' => 'Invalid key: send one of this service\'s blog API keys' ),
			'body' => 'invalid', 'response' => array( 'code' => 200 ) );
	}
	$path    = (string) parse_url( $url, PHP_URL_PATH );
	$check   = '/comment-check' === substr( $path, -14 );
	$headers = $check ? array( 'x-akismet-guid' => $GLOBALS['stub']['guid'] ) : array();
	if ( '/comment-stored' === substr( $path, -15 ) ) {
		$headers['x-moderation-outcome'] = $GLOBALS['stub']['link'];
	}
	if ( '/erase-personal-data' === substr( $path, -20 ) ) {
		$headers['x-moderation-outcome'] = $GLOBALS['stub']['erased'];
	}
	return array(
		'headers'  => $headers,
		'body'     => $check ? 'true' : 'Thanks for making the web a better place.',
		'response' => array( 'code' => 200 ),
	);
}

function wp_remote_retrieve_header( $response, $name ) {
	return $response['headers'][ $name ] ?? '';
}

function get_comment_meta( $id, $key, $single = false ) {
	$value = $GLOBALS['stub']['meta'][ (int) $id ][ $key ] ?? null;
	return $single ? ( $value ?? '' ) : ( null === $value ? array() : array( $value ) );
}

function add_comment_meta( $id, $key, $value, $unique = false ) {
	if ( $unique && isset( $GLOBALS['stub']['meta'][ (int) $id ][ $key ] ) ) {
		return false;
	}
	$GLOBALS['stub']['meta'][ (int) $id ][ $key ] = $value;
	return true;
}

/** As WordPress: no row with the key, one is added (whatever $previous says); else only a row holding $previous. */
function update_comment_meta( $id, $key, $value, $previous = '' ) {
	$kept = $GLOBALS['stub']['meta'][ (int) $id ][ $key ] ?? null;
	if ( null !== $kept && '' !== $previous && $kept !== $previous ) {
		return false;
	}
	$GLOBALS['stub']['meta'][ (int) $id ][ $key ] = $value;
	return true;
}

function delete_comment_meta( $id, $key, $value = '' ) {
	$kept = $GLOBALS['stub']['meta'][ (int) $id ][ $key ] ?? null;
	if ( null === $kept || ( '' !== $value && $kept !== $value ) ) {
		return false;
	}
	unset( $GLOBALS['stub']['meta'][ (int) $id ][ $key ] );
	if ( ! $GLOBALS['stub']['meta'][ (int) $id ] ) {
		unset( $GLOBALS['stub']['meta'][ (int) $id ] );
	}
	return true;
}

/**
 * WP_Comment_Query, for what the plugin asks: by meta_key (and meta_value), by author_email (WordPress compares it
 * as MySQL does, regardless of case), by status ('all', the default: approved and pending; 'any': every status),
 * ordered by id, number per page, paged.
 */
function get_comments( $query ) {
	$found = array();
	ksort( $GLOBALS['stub']['comments'] );
	foreach ( $GLOBALS['stub']['comments'] as $id => $comment ) {
		$meta = isset( $query['meta_key'] ) ? ( $GLOBALS['stub']['meta'][ $id ][ $query['meta_key'] ] ?? null ) : false;
		if ( null === $meta || ( isset( $query['meta_value'] ) && $meta !== $query['meta_value'] ) ) {
			continue;
		}
		if ( isset( $query['author_email'] ) && strtolower( $comment->comment_author_email ) !== strtolower( $query['author_email'] ) ) {
			continue;
		}
		if ( 'any' !== ( $query['status'] ?? 'all' ) && ! in_array( (string) $comment->comment_approved, array( '0', '1' ), true ) ) {
			continue;
		}
		$found[] = $comment;
	}
	$number = $query['number'] ?? 10;
	return array_slice( $found, ( ( $query['paged'] ?? 1 ) - 1 ) * $number, $number );
}

/** As WordPress: an HMAC of the data under the site's salt. */
function wp_hash( $data ) {
	return hash_hmac( 'md5', $data, 'the-sites-salt' );
}

/**
 * WordPress's own comment eraser (wp_comments_personal_data_eraser), as far as the plugin depends on it: it
 * anonymizes the person's approved and pending comments (not those in the spam folder or the trash), their
 * address emptied. Registered by WordPress before any plugin loads.
 */
function wp_comments_personal_data_eraser( $email_address, $page = 1 ) {
	foreach ( get_comments( array( 'author_email' => $email_address, 'number' => 500, 'paged' => $page ) ) as $comment ) {
		$comment->comment_author       = 'Anonymous';
		$comment->comment_author_email = '';
		$comment->comment_author_IP    = '192.0.2.0';
		$comment->comment_agent        = '';
	}
	return array( 'items_removed' => true, 'items_retained' => false, 'messages' => array(), 'done' => true );
}

function wp_register_comment_personal_data_eraser( $erasers ) {
	$erasers['wordpress-comments'] = array( 'eraser_friendly_name' => 'WordPress Comments', 'callback' => 'wp_comments_personal_data_eraser' );
	return $erasers;
}
add_filter( 'wp_privacy_personal_data_erasers', 'wp_register_comment_personal_data_eraser' );

/**
 * Tools → Erase Personal Data, as WordPress's admin page runs it: each eraser in the order registered, page by
 * page until it is done. Returns each eraser's answers by its key.
 */
function stub_erase_personal_data( $email_address ) {
	$answers = array();
	foreach ( apply_filters( 'wp_privacy_personal_data_erasers', array() ) as $key => $eraser ) {
		$page = 1;
		do {
			$answer            = call_user_func( $eraser['callback'], $email_address, $page++ );
			$answers[ $key ][] = $answer;
		} while ( ! $answer['done'] );
	}
	return $answers;
}

function add_option( $name, $value, $deprecated = '', $autoload = 'yes' ) {
	if ( array_key_exists( $name, $GLOBALS['stub']['options'] ) ) {
		return false;
	}
	$GLOBALS['stub']['options'][ $name ] = $value;
	return true;
}

/** $wpdb, for the one query the plugin makes: option names by a LIKE prefix. */
class Stub_Wpdb {
	public $options = 'wp_options';
	public function get_col( $sql ) {
		preg_match( "/LIKE '([^']*)%'/", $sql, $like );
		$prefix = str_replace( '\\_', '_', $like[1] );
		return array_values( array_filter( array_keys( $GLOBALS['stub']['options'] ), function ( $name ) use ( $prefix ) {
			return 0 === strpos( $name, $prefix );
		} ) );
	}
}
$GLOBALS['wpdb'] = new Stub_Wpdb();

function get_option( $name, $default = false ) {
	return $GLOBALS['stub']['options'][ $name ] ?? $default;
}

function update_option( $name, $value, $autoload = null ) {
	$GLOBALS['stub']['options'][ $name ] = $value;
	return true;
}

function delete_option( $name ) {
	unset( $GLOBALS['stub']['options'][ $name ] );
	return true;
}

function wp_next_scheduled( $hook ) {
	return $GLOBALS['stub']['cron'][ $hook ] ?? false;
}

function wp_schedule_single_event( $time, $hook ) {
	$GLOBALS['stub']['cron'][ $hook ] = $time;
	return true;
}

/** WordPress's cron running a single event: it is unscheduled, then its hook runs. */
function stub_run_cron( $hook ) {
	unset( $GLOBALS['stub']['cron'][ $hook ] );
	$GLOBALS['stub']['doing_cron'] = true;
	do_action( $hook );
	$GLOBALS['stub']['doing_cron'] = false;
}

function wp_doing_cron() {
	return $GLOBALS['stub']['doing_cron'];
}

function current_user_can( $capability, ...$args ) {
	return $GLOBALS['stub']['user']['can'];
}

function wp_get_current_user() {
	return new WP_User( $GLOBALS['stub']['user']['login'] );
}

function get_permalink( $post ) {
	return 'https://kommblog.example/?p=' . $post;
}

function get_locale() {
	return 'de_DE';
}

function get_comment( $id ) {
	return $GLOBALS['stub']['comments'][ (int) $id ] ?? null;
}

function wp_get_comment_status( $comment ) {
	$comment  = is_object( $comment ) ? $comment : get_comment( $comment );
	$statuses = array( '1' => 'approved', '0' => 'unapproved', 'spam' => 'spam', 'trash' => 'trash' );
	return $statuses[ (string) $comment->comment_approved ] ?? false;
}

function admin_url( $path ) {
	return 'https://kommblog.example/wp-admin/' . $path;
}

function wp_safe_redirect( $url ) {
	$GLOBALS['stub']['redirect'] = $url;
}

/** The parts of the Akismet plugin 5.0.2 the must-use plugin calls, as they behave there. */
class Akismet {
	public static function get_api_key() {
		return '0a1b2c3d4e5f';
	}

	public static function build_query( $args ) {
		return http_build_query( $args, '', '&' );
	}

	public static function is_test_mode() {
		return false;
	}

	public static function get_user_roles( $user_id ) {
		return 'subscriber';
	}

	/**
	 * As Akismet::transition_comment_status: a move into the spam folder (from approved or pending) or out of it
	 * (to approved or pending) by someone who moderates is reported, but only when the request looks like an
	 * explicit Spam / Not Spam (its POST / GET variables: the admin's list, bulk actions, the edit screen, the
	 * REST API), the stub's 'explicit'; not an approval through a moderation e-mail's link, XML-RPC or wp-cli.
	 */
	public static function transition_comment_status( $new_status, $old_status, $comment ) {
		if ( $new_status === $old_status || 'delete' === $new_status || ! current_user_can( 'moderate_comments' )
			|| get_comment_meta( $comment->comment_ID, 'akismet_rechecking' ) || ! $GLOBALS['stub']['explicit'] ) {
			return;
		}
		if ( 'spam' === $new_status && in_array( $old_status, array( 'approved', 'unapproved' ), true ) ) {
			self::submit( $comment, 'submit-spam' );
		} elseif ( 'spam' === $old_status && in_array( $new_status, array( 'approved', 'unapproved' ), true ) ) {
			self::submit( $comment, 'submit-ham' );
		}
	}

	/** As submit_spam_comment / submit_nonspam_comment: the row, as first checked, the blog's, the reporter. */
	private static function submit( $comment, $call ) {
		$fields = get_object_vars( $comment );
		$as_submitted = get_comment_meta( $comment->comment_ID, 'akismet_as_submitted', true );
		$fields = array_merge( $fields, is_array( $as_submitted ) ? $as_submitted : array() );
		$fields['blog']     = get_option( 'home' );
		$fields['reporter'] = wp_get_current_user()->user_login;
		self::http_post( self::build_query( $fields ), $call );
	}

	/** As Akismet::http_post: the key added, https tried, then again, then http; array( '', '' ) on failure. */
	public static function http_post( $request, $path ) {
		$request  = $request . '&api_key=' . self::get_api_key();
		$args     = array( 'body' => $request, 'headers' => array( 'Host' => 'rest.akismet.com' ), 'timeout' => 15 );
		foreach ( array( 'https', 'https', 'http' ) as $scheme ) {
			$response = apply_filters( 'pre_http_request', false, $args, "$scheme://rest.akismet.com/1.1/$path" );
			if ( ! is_wp_error( $response ) ) {
				return array( $response['headers'], $response['body'] );
			}
		}
		return array( '', '' );
	}
}

/** A stored comment, as WordPress keeps it. */
function stub_comment( $id, $fields = array() ) {
	$comment = new WP_Comment( array( 'comment_ID' => (string) $id ) + $fields );
	$GLOBALS['stub']['comments'][ $id ] = $comment;
	return $comment;
}

/** The calls that reached the service: path and form fields. */
function stub_calls() {
	$calls = array();
	foreach ( $GLOBALS['stub']['requests'] as $request ) {
		parse_str( $request['body'], $fields );
		$calls[] = array( 'url' => $request['url'], 'path' => parse_url( $request['url'], PHP_URL_PATH ), 'fields' => $fields,
			'timeout' => $request['timeout'], 'headers' => $request['headers'] );
	}
	return $calls;
}

require $argv[1];
// the Akismet plugin's hooks, added on init: after the must-use plugin's
add_action( 'transition_comment_status', array( 'Akismet', 'transition_comment_status' ), 10, 3 );
require __DIR__ . '/wordpress_scenarios.php';
// printed at shutdown: the plugin exits after a redirect, as WordPress code does
register_shutdown_function( function () {
	echo json_encode( array(
		'result'   => $GLOBALS['stub']['result'] ?? null,
		'calls'    => stub_calls(),
		'meta'     => $GLOBALS['stub']['meta'],
		'options'  => $GLOBALS['stub']['options'],
		'cron'     => array_keys( $GLOBALS['stub']['cron'] ),
		'redirect' => $GLOBALS['stub']['redirect'] ?? null,
	) );
} );
$GLOBALS['stub']['result'] = call_user_func( 'scenario_' . $argv[2] );
