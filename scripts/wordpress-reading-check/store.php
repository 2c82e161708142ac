<?php
// Reads JSON [[name, content], ...] on stdin; prints JSON [[name_checked, content_checked, name_stored, content_stored], ...]:
// what the Akismet plugin checks for a comment from the form (wp_handle_comment_submission: name strip_tags+trim,
// text trim) and what WordPress stores (wp_filter_comment on the slashed data, then unslashed), as for a visitor.
$_SERVER['HTTP_HOST'] = 'localhost';
require getenv( 'WORDPRESS_DIR' ) . '/wp-load.php';
wp_set_current_user( 0 );
kses_init_filters();
$out = array();
foreach ( json_decode( stream_get_contents( STDIN ), true ) as $pair ) {
	list( $name, $content ) = $pair;
	$name = trim( strip_tags( $name ) );
	$content = trim( $content );
	$data = wp_slash( array( 'comment_author' => $name, 'comment_content' => $content, 'comment_author_email' => 'a@example.org',
		'comment_author_url' => '', 'comment_author_IP' => '127.0.0.1', 'comment_agent' => 'x', 'user_id' => 0, 'user_ID' => 0 ) );
	$stored = wp_unslash( wp_filter_comment( $data ) );
	$out[] = array( $name, $content, $stored['comment_author'], $stored['comment_content'] );
}
echo json_encode( $out, JSON_INVALID_UTF8_SUBSTITUTE );
