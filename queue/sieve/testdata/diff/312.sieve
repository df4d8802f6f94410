# 312: regex alternation and classes
require ["fileinto", "regex", "variables"];
if header :regex "from" "(bob|alice)@example\\.(com|net)" { fileinto "${1}-${2}"; }
