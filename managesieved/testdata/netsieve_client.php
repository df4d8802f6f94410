<?php
// Drives the ManageSieve server with PEAR Net_Sieve (Debian php-net-sieve),
// the library Roundcube's managesieve plugin uses:
// php netsieve_client.php HOST PORT USER PASSWORD. Prints "ok" or exits 1
// naming the failed step.
require_once 'Net/Sieve.php';

list(, $host, $port, $user, $password) = $argv;
$good = "require [\"vacation\"];\r\nvacation :days 7 \"Away until Monday.\";\r\n";
$bad = "require \"vacation\";\r\n\r\nvacation :days \"x\";\r\n";

function check($ok, $what) {
    if (!$ok) {
        fwrite(STDERR, "Net_Sieve step failed: $what\n");
        exit(1);
    }
}
function failed($res) { return is_a($res, 'PEAR_Error'); }

$s = new Net_Sieve();
$opts = ['ssl' => ['verify_peer' => false, 'verify_peer_name' => false, 'allow_self_signed' => true]];
$res = $s->connect($host, $port, $opts, true);
check(!failed($res), 'connect with STARTTLS: ' . (failed($res) ? $res->getMessage() : ''));
$res = $s->login($user, $password, 'PLAIN');
check(!failed($res), 'login PLAIN: ' . (failed($res) ? $res->getMessage() : ''));
check($s->hasExtension('vacation'), 'SIEVE capability lists vacation');
$res = $s->haveSpace('roundcube', strlen($good));
check($res === true, 'HAVESPACE');
$res = $s->installScript('roundcube', $good, true);
check(!failed($res), 'installScript (PUTSCRIPT + SETACTIVE): ' . (failed($res) ? $res->getMessage() : ''));
$list = $s->listScripts($active);
check(!failed($list) && in_array('roundcube', $list) && $active === 'roundcube', 'listScripts shows roundcube active');
$got = $s->getScript('roundcube');
// Net_Sieve returns the literal with the CRLF that follows it.
check($got === $good . "\r\n", 'getScript returns the script byte for byte: ' . var_export($got, true));
$res = $s->installScript('broken', $bad);
check(failed($res) && strpos($res->getMessage(), 'line 3') !== false, 'installScript of a bad script fails with its line: ' .
    (failed($res) ? $res->getMessage() : 'accepted'));
$res = $s->removeScript('roundcube');
check(failed($res), 'removeScript of the active script fails');
$res = $s->setActive('');
check(!failed($res), 'setActive("") deactivates');
$res = $s->removeScript('roundcube');
check(!failed($res), 'removeScript');
$list = $s->listScripts($active);
check(!failed($list) && count($list) == 0, 'listScripts empty at the end');
$s->disconnect();
echo "ok\n";
