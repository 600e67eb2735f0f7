<?php
// Judges a batch of questions with composer/semver as Debian ships it, so the
// Go evaluator can be compared against composer itself. Reads one JSON object
// on stdin:
//   {"satisfies": [[constraint, version], ...], "normalize": [version, ...],
//    "compare": [[a, b], ...], "intersects": [[constraint, constraint], ...]}
// and writes the answers in the same order:
//   {"satisfies": [{"constraint_error": bool, "version_error": bool, "ok": bool}],
//    "normalize": [normalized or null], "compare": [-1|0|1|null],
//    "intersects": [bool, or null when either constraint is invalid]}
require '/usr/share/php/Composer/Semver/autoload.php';

use Composer\Semver\Comparator;
use Composer\Semver\Semver;
use Composer\Semver\VersionParser;

$in = json_decode(stream_get_contents(STDIN), true, 512, JSON_THROW_ON_ERROR);
$parser = new VersionParser();
$out = ['satisfies' => [], 'normalize' => [], 'compare' => [], 'intersects' => []];

foreach ($in['satisfies'] as [$constraint, $version]) {
    $answer = ['constraint_error' => false, 'version_error' => false, 'ok' => false];
    try {
        $parser->parseConstraints($constraint);
    } catch (\Exception $e) {
        $answer['constraint_error'] = true;
    }
    try {
        $parser->normalize($version);
    } catch (\Exception $e) {
        $answer['version_error'] = true;
    }
    if (!$answer['constraint_error'] && !$answer['version_error']) {
        $answer['ok'] = Semver::satisfies($version, $constraint);
    }
    $out['satisfies'][] = $answer;
}

foreach ($in['normalize'] as $version) {
    try {
        $out['normalize'][] = $parser->normalize($version);
    } catch (\Exception $e) {
        $out['normalize'][] = null;
    }
}

foreach ($in['compare'] as [$a, $b]) {
    $na = $parser->normalize($a);
    $nb = $parser->normalize($b);
    if (Comparator::lessThan($na, $nb)) {
        $out['compare'][] = -1;
    } elseif (Comparator::equalTo($na, $nb)) {
        $out['compare'][] = 0;
    } elseif (Comparator::greaterThan($na, $nb)) {
        $out['compare'][] = 1;
    } else {
        $out['compare'][] = null;
    }
}

// The pool asks $required->matches($provided) of a replace or provide link.
foreach ($in['intersects'] as [$a, $b]) {
    try {
        $out['intersects'][] = $parser->parseConstraints($a)->matches($parser->parseConstraints($b));
    } catch (\Exception $e) {
        $out['intersects'][] = null;
    }
}

echo json_encode($out, JSON_THROW_ON_ERROR);
