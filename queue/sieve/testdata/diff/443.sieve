# 443: set with a match variable inside a modifier
require ["fileinto", "variables"];
if header :matches "subject" "* on *" { set :upper "d" "${2}"; }
fileinto "${d}";
