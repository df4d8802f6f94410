# 447: match variable ${09} is ${9}
require ["fileinto", "variables"];
if header :matches "subject" "*e*e*" { fileinto "${01}|${002}"; }
