# 425: header test does not see the inner message's headers
require "fileinto";
if header :is "subject" "original" { fileinto "Inner"; } else { fileinto "Outer"; }
