# 476: elsif after else is invalid
if false { keep; } else { discard; } elsif true { keep; }
