# 016: comments and whitespace
# a hash comment
/* a bracket
   comment */ keep; # trailing
