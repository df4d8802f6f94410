# 439: regex with backreference-like text in a class
require ["fileinto", "regex", "variables"];
if header :regex "subject" "^[^ ]+ ([a-z]+) " { fileinto "w-${1}"; }
