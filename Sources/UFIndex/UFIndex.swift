// UFIndex: placeholder until its issue lands.
