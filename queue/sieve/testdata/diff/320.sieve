# 320: regex with a list of patterns
require ["fileinto", "regex", "variables"];
if header :regex "subject" ["^x", "Tues(day)"] { fileinto "L-${1}"; }
