# 027: stop keeps earlier actions and the implicit keep
require "fileinto";
if header :contains "subject" "Meeting" { stop; }
discard;
