# 318: invalid constant regex is a compile error
require ["fileinto", "regex", "variables"];
if header :regex "subject" "([a-z" { keep; }
